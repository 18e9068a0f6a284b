"""The issue's end-to-end case: `up dev --sandbox`, six out-of-band changes with boto3, then `drift dev --sandbox`.

The applied environment is the run's shared one (tests/devsandbox.py: `up dev --sandbox` from empty; the apply
takes about five minutes; what its other users read was captured before this file changes it). One module-scoped
fixture scans twice through the command line, before and after the changes, and once more through the API with
two ignore rules. Right after `up` a plan shows 0 changes (the emulator reads back what it was given:
tooling/popcornctl/sandbox/extensions) and the scan counts nothing, so the six changes must be exactly the six
items the second scan counts, each in its category with its address. The product never filters drift.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from outofband import Expected, make_changes, remove_unmanaged

from devsandbox import AppliedDev, run_on_repo
from popcornctl.drift import load_schema
from popcornctl.drift.model import DriftReport
from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox, pytest.mark.slow]

BUCKET = "goorm-popcorn-tfstate"

@dataclass
class Scanned:
    expected: Expected
    baseline: dict[str, Any]  # --output json before the changes
    after: dict[str, Any]  # --report of the scan after the changes
    after_code: int
    markdown: str
    ruled: DriftReport  # the same moment, scanned through the API with two ignore rules
    objects_before: dict[str, bytes]
    objects_after: dict[str, bytes]
    versions_before: list[str]
    versions_after: list[str]


def _dev_stacks() -> set[str]:
    """The stacks `drift dev` scans: envs/dev and everything it depends on, as the stack graph says."""
    from popcornctl.config import load_config
    from popcornctl.graph import StackGraph

    config = load_config(REPO)
    return StackGraph.load(config).closure([config.environments["dev"].stack])


def _objects(s3: Any) -> tuple[dict[str, bytes], list[str]]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    versions = s3.list_object_versions(Bucket=BUCKET).get("Versions", [])
    return ({k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys},
            sorted(f"{v['Key']}@{v['VersionId']}" for v in versions))


@pytest.fixture(scope="module")
def dev(dev_on_sandbox: AppliedDev, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    from popcornctl.config import load_config
    from popcornctl.config.drift import DriftTable, IgnoreRule
    from popcornctl.drift import DriftOptions, scan
    from popcornctl.drift.state import read_states
    from popcornctl.runtime import Runtime
    from popcornctl.settings import Settings

    out = tmp_path_factory.mktemp("drift-e2e-out")
    with dev_on_sandbox.environment():
        code, out_text, err = run_on_repo("drift", "dev", "--sandbox", "--output", "json")
        assert code in (0, 1), err
        baseline = json.loads(out_text)
        rt = Runtime(Settings(repo=REPO), sandbox=True, start_sandbox=False)
        s3 = rt.clients.client("s3")
        objects_before, versions_before = _objects(s3)
        expected = make_changes(rt.clients, read_states(rt.clients, rt.config.backend, ["envs/dev"]))
        markdown, report = out / "drift.md", out / "drift.json"
        after_code, _, err = run_on_repo("drift", "dev", "--sandbox", "--output", "markdown", "--out", str(markdown),
                                  "--report", str(report))
        rules = [IgnoreRule(address=expected.scaled_address, attributes=["desired_count"], reason="scaled in a test"),
                 IgnoreRule(address=f"aws_instance.{expected.instance}", reason="a test's instance")]
        ruled_rt = Runtime(Settings(repo=REPO), sandbox=True, start_sandbox=False)
        ruled_rt.__dict__["config"] = dataclasses.replace(load_config(REPO), drift=DriftTable(ignore=rules))
        ruled = scan(ruled_rt, DriftOptions(env="dev"))
        objects_after, versions_after = _objects(s3)
        try:
            yield Scanned(expected, baseline, json.loads(report.read_text()), after_code, markdown.read_text(),
                          ruled, objects_before, objects_after, versions_before, versions_after)
        finally:
            remove_unmanaged(rt.clients, expected)  # the shared environment's next user destroys it


def _items(report: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(kind, address) -> attribute paths that count (changed) or a description (the rest), of counted items."""
    out: dict[tuple[str, str], set[str]] = {}
    for stack in report["stacks"]:
        for kind in ("changed", "deleted"):
            for finding in stack[kind]:
                if finding["counted"]:
                    out[kind, finding["address"]] = {a["path"] for a in finding["attributes"] if a["counted"]}
    for resource in report["unmanaged"]["resources"]:
        if resource["ignored"] is None:
            out["unmanaged", resource["address"]] = {resource["parent"] or ""}
    return out


def test_each_change_is_reported_in_its_category_with_its_address(dev: Scanned) -> None:
    e = dev.expected
    assert _items(dev.after) == {
        ("changed", e.scaled_address): {"desired_count"},
        ("changed", e.tagged_address): {e.tag_path},
        ("deleted", e.deleted_address): set(),
        ("unmanaged", f"aws_vpc_security_group_ingress_rule.{e.rule_id}"):
            {f"{e.rule_group} ({e.rule_group_address} in envs/dev)"},
        ("unmanaged", f"aws_security_group.{e.new_group}"): {""},
        ("unmanaged", f"aws_instance.{e.instance}"): {""},
    }


def test_the_scaled_service_would_be_set_back_and_the_log_group_recreated(dev: Scanned) -> None:
    e = dev.expected
    stack = next(s for s in dev.after["stacks"] if s["stack"] == "envs/dev")
    service = next(f for f in stack["changed"] if f["address"] == e.scaled_address)
    (count,) = [a for a in service["attributes"] if a["path"] == "desired_count"]
    assert count["after"] == count["before"] + 2 and count["next_apply"] == "reverts"
    (deleted,) = [f for f in stack["deleted"] if f["address"] == e.deleted_address]
    assert deleted["next_apply"] == "create"
    found_by = {r["address"]: r["found_by"] for r in dev.after["unmanaged"]["resources"]}
    assert "tags" in found_by[f"aws_security_group.{e.new_group}"]  # the platform's tags
    assert found_by[f"aws_instance.{e.instance}"] == [f"vpc {dev.baseline['unmanaged']['scope']['vpcs'][0]}"]


def test_right_after_up_a_scan_counts_nothing(dev: Scanned) -> None:
    """What a refresh still reads differently right after `up` is only in attributes the configuration does not set
    and the next apply keeps (as on AWS: a target group's load_balancer_arns once a listener uses it, a broker's
    ebs_block_device once its data volume is attached): shown as informational, never counted."""
    assert _items(dev.baseline) == {}
    totals = dev.baseline["totals"]
    assert (totals["changed"], totals["deleted"], totals["pending"], totals["unmanaged"]) == (0, 0, 0, 0), totals
    informational = [f for s in dev.baseline["stacks"] for f in s["changed"] if not f["counted"]]
    assert all(not a["configured"] and a["next_apply"] == "keeps" for f in informational for a in f["attributes"])


def test_the_state_objects_are_byte_identical(dev: Scanned) -> None:
    assert dev.objects_before and dev.objects_after == dev.objects_before
    assert dev.versions_after == dev.versions_before  # not even rewritten with the same bytes
    assert not [k for k in dev.objects_after if k.endswith(".tflock")]


def test_the_reports_validate_against_the_committed_schema(dev: Scanned) -> None:
    schema = load_schema()
    for report in (dev.baseline, dev.after, json.loads(json.dumps(dev.ruled.as_dict()))):
        jsonschema.validate(report, schema)
    assert dev.after["schema_version"] == 1 and dev.after["exit_code"] == dev.after_code == 1
    assert [s["status"] for s in dev.after["stacks"]] == ["checked"] * len(_dev_stacks())


def test_the_markdown_names_every_change(dev: Scanned) -> None:
    e = dev.expected
    for needle in (e.scaled_address, e.tagged_address, e.deleted_address, e.rule_id, e.new_group, e.instance,
                   "desired_count", "<!-- popcornctl-drift env=dev -->"):
        assert needle in dev.markdown, needle


def test_an_ignore_rule_suppresses_exactly_its_item_and_shows_it_as_ignored(dev: Scanned) -> None:
    e = dev.expected
    ruled = json.loads(json.dumps(dev.ruled.as_dict()))
    assert [r["matched"] for r in ruled["ignore_rules"]] == [1, 1]
    stack = next(s for s in ruled["stacks"] if s["stack"] == "envs/dev")
    service = next(f for f in stack["changed"] if f["address"] == e.scaled_address)
    marks = {a["path"]: a["ignored"]["rule"] if a["ignored"] else None for a in service["attributes"]}
    assert marks["desired_count"] == 1 and [p for p, r in marks.items() if r] == ["desired_count"]
    (instance,) = [r for r in ruled["unmanaged"]["resources"] if r["address"] == f"aws_instance.{e.instance}"]
    assert instance["ignored"] == {"rule": 2, "address": f"aws_instance.{e.instance}", "reason": "a test's instance"}
    plain = _items(dev.after)
    expected = {k: v for k, v in plain.items() if k != ("unmanaged", f"aws_instance.{e.instance}")}
    expected["changed", e.scaled_address] = plain["changed", e.scaled_address] - {"desired_count"}
    if not expected["changed", e.scaled_address]:
        del expected["changed", e.scaled_address]
    assert _items(ruled) == expected
    assert ruled["totals"]["ignored"] == 2
