"""What a saved plan will do, read from ``terraform show -json``: counts, replacements, risky deletes.

The counts follow Terraform's own ("N to add, N to change, N to destroy": a replacement adds one and
destroys one). Replacements and deletions of *stateful* resources (data that a re-create loses: databases,
caches, volumes, buckets, tables, repositories, keys, secrets, zones, log groups) are listed by address so
the confirmation prompt and the report can highlight them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Resource types whose delete/replace loses data or identity that a re-create does not bring back.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_elasticache_replication_group",
        "aws_elasticache_cluster",
        "aws_elasticache_serverless_cache",
        "aws_ebs_volume",
        "aws_instance",
        "aws_s3_bucket",
        "aws_dynamodb_table",
        "aws_ecr_repository",
        "aws_efs_file_system",
        "aws_msk_cluster",
        "aws_kms_key",
        "aws_secretsmanager_secret",
        "aws_route53_zone",
        "aws_cloudwatch_log_group",
        "aws_backup_vault",
    }
)

# type -> (attribute that protects it from deletion, value that means "protected", what to set instead)
DELETION_PROTECTION: dict[str, tuple[str, object, str]] = {
    "aws_db_instance": ("deletion_protection", True, "deletion_protection = false"),
    "aws_rds_cluster": ("deletion_protection", True, "deletion_protection = false"),
    "aws_lb": ("enable_deletion_protection", True, "enable_deletion_protection = false"),
    "aws_alb": ("enable_deletion_protection", True, "enable_deletion_protection = false"),
    "aws_dynamodb_table": ("deletion_protection_enabled", True, "deletion_protection_enabled = false"),
    "aws_instance": ("disable_api_termination", True, "disable_api_termination = false"),
}


@dataclass(frozen=True)
class Change:
    """One resource change of a plan."""

    address: str
    type: str
    actions: tuple[str, ...]

    @property
    def kind(self) -> str:
        """create | update | delete | replace | read | no-op | forget."""
        acts = set(self.actions)
        if {"delete", "create"} <= acts:
            return "replace"
        if len(self.actions) == 1:
            return self.actions[0]
        return "+".join(self.actions)

    @property
    def stateful(self) -> bool:
        """True when deleting this resource loses data."""
        return self.type in STATEFUL_TYPES


@dataclass
class ChangeSummary:
    """The change set of one stack's saved plan."""

    adds: int = 0
    changes: int = 0
    destroys: int = 0
    resources: list[Change] = field(default_factory=list)  # every non-no-op managed change
    outputs_changed: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """True when applying the plan would do something (resources or outputs)."""
        return bool(self.resources or self.outputs_changed)

    @property
    def replacements(self) -> list[str]:
        """Addresses replaced (destroyed and re-created)."""
        return [c.address for c in self.resources if c.kind == "replace"]

    @property
    def deletions(self) -> list[str]:
        """Addresses deleted outright."""
        return [c.address for c in self.resources if c.kind == "delete"]

    @property
    def stateful_losses(self) -> list[str]:
        """Stateful resources that are deleted or replaced: the ones to highlight."""
        return [c.address for c in self.resources if c.stateful and c.kind in ("delete", "replace")]

    def counts(self) -> str:
        """``+3 ~1 -0``."""
        return f"+{self.adds} ~{self.changes} -{self.destroys}"

    def headline(self) -> str:
        """Terraform's wording: ``3 to add, 1 to change, 0 to destroy``."""
        text = f"{self.adds} to add, {self.changes} to change, {self.destroys} to destroy"
        if self.outputs_changed and not self.resources:
            text += f" (outputs changed: {', '.join(self.outputs_changed)})"
        return text

    def lines(self, limit: int = 40) -> list[tuple[str, str]]:
        """(style, text) lines describing the changes, riskiest first, for prompts and stack blocks."""
        order = {"delete": 0, "replace": 1, "update": 2, "create": 3}
        changes = sorted(self.resources, key=lambda c: (not c.stateful, order.get(c.kind, 4), c.address))
        marks = {"create": "+", "update": "~", "delete": "-", "replace": "-/+"}
        out: list[tuple[str, str]] = []
        for change in changes[:limit]:
            mark = marks.get(change.kind, "?")
            if change.stateful and change.kind in ("delete", "replace"):
                warning = f"<-- {change.kind.upper()} of a stateful resource"
                out.append(("bold red", f"  {mark} {change.address}   {warning}"))
            elif change.kind in ("delete", "replace"):
                out.append(("red", f"  {mark} {change.address}"))
            elif change.kind == "update":
                out.append(("yellow", f"  {mark} {change.address}"))
            else:
                out.append(("green", f"  {mark} {change.address}"))
        if len(changes) > limit:
            out.append(("dim", f"  … and {len(changes) - limit} more (see the plan JSON)"))
        return out

    def as_dict(self) -> dict[str, Any]:
        """The report's view of the change set."""
        return {
            "adds": self.adds,
            "changes": self.changes,
            "destroys": self.destroys,
            "replacements": self.replacements,
            "deletions": self.deletions,
            "stateful_losses": self.stateful_losses,
            "resources": [{"address": c.address, "type": c.type, "actions": list(c.actions)} for c in self.resources],
            "outputs_changed": self.outputs_changed,
        }


def _managed(plan: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") == "managed":
            yield rc


def summarize(plan: Mapping[str, Any]) -> ChangeSummary:
    """The change summary of a plan (``terraform show -json PLAN``)."""
    summary = ChangeSummary()
    for rc in _managed(plan):
        actions = tuple(str(a) for a in (rc.get("change") or {}).get("actions") or ())
        if not actions or actions in (("no-op",), ("read",), ("forget",)):
            continue
        change = Change(str(rc.get("address")), str(rc.get("type")), actions)
        summary.resources.append(change)
        if change.kind == "replace":
            summary.adds += 1
            summary.destroys += 1
        elif change.kind == "create":
            summary.adds += 1
        elif change.kind == "update":
            summary.changes += 1
        elif change.kind == "delete":
            summary.destroys += 1
    for name, oc in sorted((plan.get("output_changes") or {}).items()):
        actions = tuple((oc or {}).get("actions") or ())
        if actions and actions != ("no-op",):
            summary.outputs_changed.append(str(name))
    return summary


def never_applied(plan: Mapping[str, Any]) -> bool:
    """True when the plan starts from an empty state (the stack was never applied)."""
    prior = plan.get("prior_state") or {}
    root = (prior.get("values") or {}).get("root_module") or {}
    return not (root.get("resources") or root.get("child_modules"))


def deletion_protected(plan: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(address, attribute, what to set) for every resource the plan deletes while it is protected."""
    found: list[tuple[str, str, str]] = []
    for rc in _managed(plan):
        change = rc.get("change") or {}
        if "delete" not in (change.get("actions") or ()):
            continue
        rule = DELETION_PROTECTION.get(str(rc.get("type")))
        before = change.get("before") or {}
        if rule and isinstance(before, dict) and before.get(rule[0]) == rule[1]:
            found.append((str(rc.get("address")), rule[0], rule[2]))
    return found
