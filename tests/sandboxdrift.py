"""The emulator's drift: what a second plan shows right after a sandbox apply, caused by moto, not by our HCL.

One list for every test that applies into the sandbox and plans again (tests/envs' sandbox apply and the
end-to-end ``up dev --sandbox``); docs/SANDBOX_PROFILE.md ("Drift after an apply") documents the same list and
tests/envs/test_envs_docs.py keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Changes a second plan shows right after a sandbox apply of envs/dev, caused by the emulator (moto 5.2.5 with
# provider 5.100), not by the HCL: address pattern -> (allowed actions, attributes a replacement may be forced by,
# why). Measured on these machines; the same list is in docs/SANDBOX_PROFILE.md ("Drift after an apply").
SANDBOX_DRIFT: dict[str, tuple[frozenset[str], frozenset[str], str]] = {
    r"^module\.ecs\.aws_ecs_service\.(this|ignore_deploy)\[": (
        frozenset({"create", "delete"}), frozenset({"capacity_provider_strategy"}),
        "moto drops capacity_provider_strategy, enable_execute_command, enable_ecs_managed_tags and "
        "health_check_grace_period_seconds; the strategy forces a replacement"),
    r"^module\.kafka\.aws_instance\.broker\[": (
        frozenset({"create", "delete"}), frozenset({"associate_public_ip_address"}),
        "moto reads associate_public_ip_address back as true for an instance in a private subnet"),
    r"^module\.kafka\.aws_volume_attachment\.data\[": (
        frozenset({"create", "delete"}), frozenset({"instance_id"}), "follows the replaced broker"),
    r"^module\.kafka\.aws_route53_record\.broker\[": (
        frozenset({"update"}), frozenset(), "the broker's A record follows its new private IP"),
    r"^module\.kafka\.aws_route53_zone\.this\[": (
        frozenset({"update"}), frozenset(),
        "moto reads the private zone back without its VPC association (applying it fails: PublicZoneVPCAssociation)"),
    r'^module\.monitoring\.aws_cloudwatch_metric_alarm\.this\["kafka-': (
        frozenset({"update"}), frozenset(), "the broker alarms follow its new instance id"),
    r"^module\.monitoring\.aws_cloudwatch_dashboard\.this\[": (
        frozenset({"update"}), frozenset(), "the Kafka widgets follow the new instance id"),
    r"^module\.security_groups\.aws_vpc_security_group_(ingress|egress)_rule\.this\[": (
        frozenset({"update"}), frozenset(), "a rule that references a security group loses its description once"),
}


def unexplained_drift(plan: Mapping[str, Any]) -> list[str]:
    """Changes in a plan right after an apply that SANDBOX_DRIFT does not explain."""
    problems = []
    for rc in plan.get("resource_changes", []):
        actions = set(rc["change"]["actions"])
        if rc.get("mode") != "managed" or actions <= {"no-op", "read"}:
            continue
        rule = next((r for p, r in SANDBOX_DRIFT.items() if re.search(p, rc["address"])), None)
        if rule is None or not actions <= rule[0]:
            problems.append(f"{rc['address']} {sorted(actions)}")
            continue
        forced = {str(path[0]) for path in rc["change"].get("replace_paths") or [] if path}
        if "delete" in actions and not (forced and forced <= rule[1]):
            problems.append(f"{rc['address']} replaced because of {sorted(forced)}")
    return problems
