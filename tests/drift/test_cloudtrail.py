"""Who and when from CloudTrail's event history: the latest write not made by Terraform; bounded and paced; one
unavailable answer (no permission, no API) ends the lookups for the scan. LookupEvents is stubbed with botocore's
Stubber: the emulator has no CloudTrail event history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from popcornctl.drift.cloudtrail import MAX_LOOKUPS, attribute
from popcornctl.drift.model import ManagedFinding

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeClients:
    def __init__(self) -> None:
        import boto3

        self.cloudtrail = boto3.client("cloudtrail", region_name="ap-northeast-2", aws_access_key_id="x",
                                       aws_secret_access_key="x")

    def client(self, service: str) -> Any:
        assert service == "cloudtrail"
        return self.cloudtrail


def _event(name: str, when: datetime, *, agent: str, arn: str, read_only: str = "false") -> dict[str, Any]:
    return {"EventName": name, "EventTime": when, "ReadOnly": read_only, "Username": arn.rsplit("/", 1)[-1],
            "CloudTrailEvent": json.dumps({"userAgent": agent, "userIdentity": {"arn": arn}})}


def _finding(kind: str, address: str, *names: str) -> ManagedFinding:
    return ManagedFinding(kind=kind, stack="envs/dev", address=address, type="aws_ecs_service", lookup_names=names)


def _request(name: str) -> dict[str, Any]:
    return {"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": name}], "StartTime": ANY,
            "EndTime": NOW, "MaxResults": 50}


def test_the_latest_write_not_made_by_terraform_names_who_and_when() -> None:
    clients = FakeClients()
    service = _finding("changed", 'module.ecs.aws_ecs_service.this["user"]', "svc-arn", "svc-name")
    pending = _finding("pending", "module.x.aws_y.z", "pending-id")
    with Stubber(clients.cloudtrail) as stub:
        stub.add_response("lookup_events", {"Events": []}, _request("svc-arn"))  # nothing under the ARN
        stub.add_response("lookup_events", {"Events": [
            _event("UpdateService", datetime(2026, 2, 27, tzinfo=UTC), agent="aws-cli/2.15",
                   arn="arn:aws:sts::1:assumed-role/oncall/alice"),
            _event("UpdateService", datetime(2026, 2, 28, tzinfo=UTC),
                   agent="APN/1.0 HashiCorp/1.0 Terraform/1.15.0", arn="arn:aws:sts::1:assumed-role/ci/apply"),
            _event("DescribeServices", datetime(2026, 2, 28, 1, tzinfo=UTC), agent="console", read_only="true",
                   arn="arn:aws:sts::1:assumed-role/oncall/bob"),
        ]}, _request("svc-name"))
        sleeps: list[float] = []
        status = attribute(clients, [service, pending], sleep=sleeps.append, now=NOW)  # type: ignore[arg-type]
        stub.assert_no_pending_responses()
    assert service.attribution is not None
    assert (service.attribution.who, service.attribution.event) == ("arn:aws:sts::1:assumed-role/oncall/alice",
                                                                     "UpdateService")
    assert service.attribution.when.startswith("2026-02-27")
    assert pending.attribution is None  # pending configuration is not looked up
    assert status == {"status": "ok", "lookups": 2, "explained": 1,
                      "reason": "1 of 1 explained by CloudTrail event history"}
    assert sleeps == [0.5]  # paced: two calls a second at most


def test_no_permission_stops_the_lookups_at_once() -> None:
    clients = FakeClients()
    findings = [_finding("deleted", f"aws_cloudwatch_log_group.g{n}", f"g{n}") for n in range(3)]
    with Stubber(clients.cloudtrail) as stub:
        stub.add_client_error("lookup_events", "AccessDeniedException", "not allowed to LookupEvents")
        status = attribute(clients, findings, sleep=lambda _: None, now=NOW)  # type: ignore[arg-type]
    assert status["status"] == "unavailable" and status["lookups"] == 1
    assert status["reason"] == "AccessDeniedException: not allowed to LookupEvents"
    assert all(f.attribution is None for f in findings)


@pytest.mark.parametrize("count", [MAX_LOOKUPS + 5])
def test_lookups_are_bounded(count: int) -> None:
    clients = FakeClients()
    findings = [_finding("changed", f"aws_x.y{n}", f"id{n}") for n in range(count)]
    with Stubber(clients.cloudtrail) as stub:
        for _ in range(MAX_LOOKUPS):
            stub.add_response("lookup_events", {"Events": []})
        status = attribute(clients, findings, sleep=lambda _: None, now=NOW)  # type: ignore[arg-type]
        stub.assert_no_pending_responses()
    assert status["lookups"] == MAX_LOOKUPS and status["explained"] == 0
