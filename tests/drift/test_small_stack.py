"""Drift of a real stack on the emulator: real Terraform plans, real AWS API listings, each kind of finding.

The small stack (fixtures/small) is applied, then changed by hand the way people do in the console; the tests
read Terraform's own plan JSON and the emulator's answers, never a hand-written plan.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from smallstack import REGION, Small

from popcornctl.config.drift import IgnoreRule
from popcornctl.drift import DriftOptions, analyse, apply_rules, load_schema, render_markdown
from popcornctl.drift.model import DriftReport, Inventory, StackDrift
from popcornctl.drift.state import instances

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


def _drift_view(plan: dict[str, Any]) -> dict[str, tuple[list[str], Any, Any]]:
    return {d["address"]: (d["change"]["actions"], d["change"]["before"], d["change"]["after"])
            for d in plan.get("resource_drift", [])}


def test_one_normal_plan_sees_the_drift_a_refresh_only_plan_sees(small: Small) -> None:
    """Why one plan per stack is enough: its resource_drift is the refresh-only plan's, and it also has changes."""
    assert _drift_view(small.plan) == _drift_view(small.refresh_only)
    assert _drift_view(small.plan)  # the hand-made changes are there at all
    assert "resource_changes" not in small.refresh_only or not [
        c for c in small.refresh_only["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert [c["address"] for c in small.plan["resource_changes"] if c["change"]["actions"] != ["no-op"]]


def test_plans_never_write_the_state(small: Small) -> None:
    assert small.state_after == small.state_before


def _findings(small: Small) -> dict[tuple[str, str], Any]:
    return {(f.kind, f.address): f for f in analyse(small.plan, "small")}


def test_changed_deleted_and_pending_are_told_apart(small: Small) -> None:
    found = _findings(small)
    counted = {key for key, f in found.items() if f.counted}
    assert counted == {
        ("changed", "aws_security_group.app"),
        ("changed", "aws_cloudwatch_log_group.kept"),
        ("deleted", "aws_cloudwatch_log_group.doomed"),
        ("pending", "aws_cloudwatch_log_group.configured"),
    }, sorted(found)
    group = found["changed", "aws_security_group.app"]
    assert [(a.path, a.before, a.after, a.next_apply) for a in group.attributes] == [
        ("tags.Team", "a", "b", "reverts")]
    assert group.next_apply == "update" and group.id and group.id.startswith("sg-")
    kept = found["changed", "aws_cloudwatch_log_group.kept"]
    # ignore_changes: Terraform keeps what AWS has, and it still counts (set by the configuration)
    assert [(a.path, a.before, a.after, a.next_apply, a.configured) for a in kept.attributes] == [
        ("retention_in_days", 7, 30, "keeps", True)]
    assert kept.next_apply == "none"
    doomed = found["deleted", "aws_cloudwatch_log_group.doomed"]
    assert doomed.next_apply == "create" and doomed.id == "/drifttest-dev/doomed"
    pending = found["pending", "aws_cloudwatch_log_group.configured"]
    assert pending.cause == "configuration" and pending.next_apply == "update"
    assert [(a.path, a.before, a.after) for a in pending.attributes] == [("retention_in_days", 7, 14)]


def test_a_deleted_resource_is_not_also_a_pending_create(small: Small) -> None:
    assert ("pending", "aws_cloudwatch_log_group.doomed") not in _findings(small)


def test_security_group_rules_are_never_drift_of_the_group(small: Small) -> None:
    """The hand-added rule is the inventory's (an unmanaged rule), not a change to the group's ingress list."""
    group = _findings(small)["changed", "aws_security_group.app"]
    assert "ingress" not in {a.path.split(".")[0].split("[")[0] for a in group.attributes}


def _inventory(small: Small) -> Inventory:
    from popcornctl.aws import Clients
    from popcornctl.drift.inventory import take_inventory
    from popcornctl.target import Target

    states = {"small": list(instances("small", small.state))}
    return take_inventory(Clients(Target(REGION, small.endpoint)), states, ["small"], project="drifttest", env="dev")


@pytest.fixture(scope="module")
def inventory(small: Small) -> Inventory:
    return _inventory(small)


def test_the_inventory_finds_exactly_what_was_made_by_hand(small: Small, inventory: Inventory) -> None:
    assert inventory.status == "complete", inventory.reason
    found = {(r.type, r.id) for r in inventory.resources}
    route_table = next(i.attributes["id"] for i in instances("small", small.state) if i.type == "aws_route_table")
    assert found == {
        ("aws_vpc_security_group_ingress_rule", small.made["rule"]),
        ("aws_iam_role_policy_attachment", "drifttest-dev-app/arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ("aws_route", f"{route_table}_10.99.0.0/16"),
        ("aws_security_group", small.made["stray_group"]),
        ("aws_s3_bucket", "drifttest-dev-stray"),
    }


def test_implicit_children_and_defaults_are_not_unmanaged(small: Small, inventory: Inventory) -> None:
    """What AWS creates with a managed resource (the VPC's default group, main route table and ACL, the local
    route, the instance's root volume and network interface) is never reported: driftctl's false positives."""
    from popcornctl.aws import Clients
    from popcornctl.target import Target

    ec2 = Clients(Target(REGION, small.endpoint)).client("ec2")
    ids = {r.id for r in inventory.resources}
    vpc = next(i.attributes for i in instances("small", small.state) if i.type == "aws_vpc")
    instance = next(i.attributes for i in instances("small", small.state) if i.type == "aws_instance")
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["id"]]}])
    implicit = {vpc["default_security_group_id"], vpc["main_route_table_id"], vpc["default_network_acl_id"],
                instance["primary_network_interface_id"], *(v["VolumeId"] for v in volumes["Volumes"])}
    assert all(implicit) and len(implicit) >= 5 and not implicit & ids
    # the emulator did create them: they are left out, not missed
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["id"]]}])["SecurityGroups"]
    assert vpc["default_security_group_id"] in {g["GroupId"] for g in groups}
    assert not any(r.type == "aws_route" and r.id.endswith("_10.42.0.0/16") for r in inventory.resources)


def test_out_of_scope_resources_are_left_alone(small: Small, inventory: Inventory) -> None:
    ids = {r.id for r in inventory.resources}
    assert small.made["elsewhere_group"] not in ids and "drifttest-prod-bucket" not in ids


def test_every_lister_is_covered_and_counted(inventory: Inventory) -> None:
    from popcornctl.drift.inventory import LISTERS

    assert [c.type for c in inventory.coverage] == [lister.type for lister in LISTERS]
    assert inventory.api_calls >= len(LISTERS) - 4  # listers without a parent to look in make no call


def _report(small: Small, inventory: Inventory, rules: list[IgnoreRule]) -> DriftReport:
    stack = StackDrift(stack="small", status="checked", findings=analyse(small.plan, "small"), resources=12)
    report = DriftReport(env="dev", target="sandbox", sandbox=True, started_at="2026-01-01T00:00:00+00:00",
                         stacks=[stack], inventory=inventory, options=DriftOptions(env="dev").as_dict())
    apply_rules(report, rules)
    return report


def test_the_json_report_validates_against_the_committed_schema(small: Small, inventory: Inventory) -> None:
    report = _report(small, inventory, [IgnoreRule(address="aws_cloudwatch_log_group.kept", reason="r")])
    document = json.loads(json.dumps(report.as_dict()))
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.validate(document, load_schema())
    assert document["totals"] == {"changed": 1, "deleted": 1, "pending": 1, "unmanaged": 5, "ignored": 1,
                                  "informational": 0, "errors": 0}
    assert document["exit_code"] == 1


def test_an_ignore_rule_covers_exactly_its_attribute(small: Small, inventory: Inventory) -> None:
    plain = _report(small, inventory, [])
    rule = IgnoreRule(address="aws_security_group.*", attributes=["tags"], reason="tags are set by the CMDB")
    ruled = _report(small, inventory, [rule])
    group = next(f for f in ruled.managed() if f.address == "aws_security_group.app")
    assert [(a.path, a.ignored.rule if a.ignored else None) for a in group.attributes] == [("tags.Team", 1)]
    assert not group.counted and group.ignored is None
    assert ruled.rules[0].matched == 1
    assert ruled.totals() == {**plain.totals(), "changed": plain.totals()["changed"] - 1, "ignored": 1}
    # everything else is as it was
    others = [(f.kind, f.address, f.counted) for f in ruled.managed() if f.address != "aws_security_group.app"]
    assert others == [(f.kind, f.address, f.counted) for f in plain.managed() if f.address != "aws_security_group.app"]


def test_an_ignore_rule_covers_an_unmanaged_resource_by_type_and_id(small: Small, inventory: Inventory) -> None:
    rule = IgnoreRule(address=f"aws_security_group.{small.made['stray_group']}", reason="the load test's group")
    ruled = _report(small, _inventory(small), [rule])
    ignored = [r.address for r in ruled.inventory.resources if r.ignored]
    assert ignored == [f"aws_security_group.{small.made['stray_group']}"]
    assert ruled.totals()["unmanaged"] == 4 and ruled.totals()["ignored"] == 1
    markdown = render_markdown(ruled)
    assert "Ignored by popcorn.toml [drift] rules: 1" in markdown and "the load test's group" in markdown


def test_rules_for_another_environment_or_stack_do_not_apply(small: Small, inventory: Inventory) -> None:
    rules = [IgnoreRule(address="aws_security_group.app", environments=["prod"], reason="prod only"),
             IgnoreRule(address="aws_cloudwatch_log_group.*", stacks=["envs/*"], reason="envs only")]
    ruled = _report(small, inventory, rules)
    assert [r.matched for r in ruled.rules] == [0, 0]
    assert not any(f.ignored or any(a.ignored for a in f.attributes) for f in ruled.managed())


def test_the_text_report_groups_findings_under_their_stack(small: Small, inventory: Inventory) -> None:
    import io

    from rich.console import Console

    from popcornctl.drift import render_text

    rule = IgnoreRule(address="aws_cloudwatch_log_group.kept", reason="retention is the log team's")
    report = _report(small, inventory, [rule])
    buffer = io.StringIO()
    render_text(Console(file=buffer, width=200, color_system=None), report)
    text = buffer.getvalue()
    assert "\x1b[" not in text
    stack_at = text.index("\nsmall\n")
    sections = [text.index(title, stack_at) for title in (
        "changed outside Terraform (2)", "deleted outside Terraform (1)",
        "not yet applied (configuration changes, not drift) (1)")]
    assert sections == sorted(sections)
    assert 'tags.Team: "a" → "b"  (the next apply sets it back)' in text
    assert "aws_cloudwatch_log_group.kept  [ignored]" in text and "ignored by rule 1: retention is the log team's" in text
    assert "aws_cloudwatch_log_group.configured: update retention_in_days" in text
    unmanaged = text.split("\nunmanaged — 5 in no stack's state", 1)[1]
    assert any("aws_security_group " in line and small.made["stray_group"] in line for line in unmanaged.splitlines())
    assert text.rstrip().endswith("drift dev: 1 changed, 1 deleted, 5 unmanaged; 1 pending, 1 ignored (exit 1)")
