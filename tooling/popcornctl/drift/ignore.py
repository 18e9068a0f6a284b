"""``[[drift.ignore]]`` rules applied to a scan: covered items and attributes are marked, counted, never removed.

A rule names an address pattern (``*`` is the only wildcard; brackets and quotes are literal), optionally the
attribute paths it covers (a path covers its sub-paths: ``tags`` covers ``tags.Owner``), the stacks and the
environments it is for, and why. Rules cover what changed or was deleted outside Terraform and unmanaged
resources (``TYPE.ID``); pending configuration is never ignored, since it is not drift. Each rule reports how many
items it matched, so a rule that matches nothing any more is visible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from popcornctl.config.drift import IgnoreRule
from popcornctl.drift.model import DriftReport, Ignored, RuleUse


@lru_cache(maxsize=256)
def pattern(text: str) -> re.Pattern[str]:
    """A rule's pattern: ``*`` matches any run of characters, everything else itself."""
    return re.compile(".*".join(re.escape(part) for part in text.split("*")))


def matches(text: str, value: str) -> bool:
    """True when the whole of ``value`` matches the pattern ``text``."""
    return pattern(text).fullmatch(value) is not None


def covers_path(patterns: Sequence[str], path: str) -> bool:
    """True when one of the attribute patterns is ``path`` or a parent of it."""
    for text in patterns:
        compiled = pattern(text)
        if compiled.fullmatch(path):
            return True
        for cut in range(len(path)):
            if path[cut] in ".[" and compiled.fullmatch(path[:cut]):
                return True
    return False


def _applies(rule: IgnoreRule, env: str, stack: str | None) -> bool:
    if rule.environments and env not in rule.environments:
        return False
    if rule.stacks:
        return stack is not None and any(matches(s.strip("/"), stack) for s in rule.stacks)
    return True


def apply_rules(report: DriftReport, rules: Sequence[IgnoreRule]) -> None:
    """Mark what each rule covers in ``report`` (in place) and record each rule's use in ``report.rules``."""
    uses = [RuleUse(rule=n, address=r.address, reason=r.reason, attributes=list(r.attributes))
            for n, r in enumerate(rules, 1)]
    for finding in report.managed():
        if finding.kind == "pending":
            continue
        for use, rule in zip(uses, rules, strict=True):
            if not _applies(rule, report.env, finding.stack) or not matches(rule.address, finding.address):
                continue
            mark = Ignored(rule=use.rule, address=rule.address, reason=rule.reason)
            if not rule.attributes:
                if finding.ignored is None:
                    finding.ignored = mark
                    use.matched += 1
                continue
            for attribute in finding.attributes:
                if attribute.ignored is None and covers_path(rule.attributes, attribute.path):
                    attribute.ignored = mark
                    use.matched += 1
    for resource in report.inventory.resources:
        for use, rule in zip(uses, rules, strict=True):
            if rule.attributes or not _applies(rule, report.env, None):
                continue
            if resource.ignored is None and matches(rule.address, resource.address):
                resource.ignored = Ignored(rule=use.rule, address=rule.address, reason=rule.reason)
                use.matched += 1
    report.rules = uses
