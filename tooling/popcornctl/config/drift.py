"""``[drift]`` of popcorn.toml: what ``popcornctl drift`` is told to expect, each rule with its reason.

::

    [[drift.ignore]]
    address = 'module.ecs.aws_ecs_service.ignore_deploy["*"]'
    attributes = ["desired_count"]
    environments = ["prod"]
    reason = "Application Auto Scaling owns desired_count (ignore_changes in modules/ecs)"

``address`` is a Terraform resource address for what changed or was deleted outside Terraform, and ``TYPE.ID``
(``aws_instance.i-0abc``) for an unmanaged resource (``stacks`` and ``attributes`` do not apply to those); ``*``
matches any run of characters and nothing else is special (so ``["*"]`` is literal brackets around a wildcard).
``attributes`` narrows a rule to those attribute paths (``tags.Owner``, ``ingress``, ``*``-wildcards too) of a changed
resource; without it the rule covers the whole item. An ignored item is still counted and shown as ignored, never
dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from popcornctl.config.model import spec


def _filled(value: str) -> str | None:
    return None if value.strip() else "is empty"


def _filled_items(values: list[str]) -> str | None:
    return "holds an empty entry" if any(not v.strip() for v in values) else None


@dataclass(frozen=True)
class IgnoreRule:
    """One ``[[drift.ignore]]`` entry: an item (or some of its attributes) expected to move, and why."""

    address: str = field(metadata=spec(
        example='address = \'module.ecs.aws_ecs_service.this["api"]\'', check=_filled,
        fix="name a resource address (module.x.aws_y.z[\"k\"]) or TYPE.ID for an unmanaged resource; * is a wildcard",
    ))
    reason: str = field(metadata=spec(
        example='reason = "autoscaling moves desired_count"', check=_filled,
        fix="say why this is expected to move, e.g. reason = \"autoscaling moves desired_count\"",
    ))
    attributes: list[str] = field(default_factory=list, metadata=spec(
        example='attributes = ["desired_count", "tags.Owner"]', check=_filled_items,
    ))
    stacks: list[str] = field(default_factory=list, metadata=spec(
        example='stacks = ["envs/prod"]', check=_filled_items,
    ))
    environments: list[str] = field(default_factory=list, metadata=spec(
        example='environments = ["prod"]', check=_filled_items,
    ))


@dataclass(frozen=True)
class DriftTable:
    """``[drift]``."""

    ignore: list[IgnoreRule] = field(default_factory=list, metadata=spec(
        example="[[drift.ignore]] with address and reason",
    ))
