#!/usr/bin/env python3
"""Regenerate the parts of docs/DIAGNOSE.md that the code defines: every check, the JSON schema, every rule.

- between `<!-- BEGIN_CHECKS <target> -->` and `<!-- END_CHECKS <target> -->`: one table per subject (ECS
  cluster, ECS service, RDS instance, load balancer, target group, ...) listing every registered check
  (`@check`, popcornctl.diagnose.registry): its id, the finding ids it emits, what it looks at, and when it is
  OK / WARN / FAIL;
- between `<!-- BEGIN_SCHEMA -->` and `<!-- END_SCHEMA -->`: the JSON Schema of `--output json`
  (popcornctl.diagnose.findings.REPORT_SCHEMA);
- between `<!-- BEGIN_RULES -->` and `<!-- END_RULES -->`: every classification rule with its AWS wording
  (popcornctl.diagnose.rules), per area, in table order.

The prose around the markers is written by hand. `--check` writes nothing and exits 1 when the document is stale
(tests/diagnose/test_diagnose_docs.py runs it).

Usage: python scripts/gen_diagnose_doc.py [--check] [--root DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from popcornctl.diagnose.findings import REPORT_SCHEMA
from popcornctl.diagnose.registry import TARGETS, CheckSpec, checks_for
from popcornctl.diagnose.render import KIND_LABEL
from popcornctl.diagnose.rules import (
    CACHE_EVENT_RULES,
    RDS_EVENT_RULES,
    RDS_STATUS_RULES,
    SERVICE_EVENT_RULES,
    STOPPED_TASK_RULES,
    TARGET_HEALTH_RULES,
    Example,
    Rule,
    Source,
)

DOC = Path("docs/DIAGNOSE.md")
RULE_AREAS = (
    (
        "Stopped tasks",
        "Read from `DescribeTasks`: `stopCode`, `stoppedReason`, and the essential container's "
        "`exitCode` and `reason`. First match wins, in this order.",
        STOPPED_TASK_RULES,
    ),
    (
        "Service events",
        "Read from `DescribeServices` `events[].message`. Highlighted rules are marked `!!` in the evidence.",
        SERVICE_EVENT_RULES,
    ),
    (
        "Target health",
        "Read from `DescribeTargetHealth` `TargetHealth.Reason` (the description is AWS's `TargetHealth.Description`).",
        TARGET_HEALTH_RULES,
    ),
    ("RDS events", "Read from `DescribeEvents` (source type `db-instance`) over the window.", RDS_EVENT_RULES),
    ("RDS status", "`DBInstanceStatus` from `DescribeDBInstances`.", RDS_STATUS_RULES),
    (
        "ElastiCache events",
        "Read from `DescribeEvents` over the window, for the replication group and its nodes.",
        CACHE_EVENT_RULES,
    ),
)
EXIT_WORDS = {"137": "137", "nonzero": "non-zero", "zero": "0"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _check_row(spec: CheckSpec) -> str:
    findings = ", ".join(f"`{f}`" for f in spec.findings)
    looks = spec.looks_at + (f" (needs: {', '.join(spec.reads)})" if spec.reads else "")
    return (
        f"| `{spec.id}` | {findings} | {_cell(spec.title)}: {_cell(looks)} | {_cell(spec.ok)} | {_cell(spec.warn)} "
        f"| {_cell(spec.fail)} |"
    )


def checks_block(target: str) -> str:
    """The check tables of one target."""
    out: list[str] = []
    for kind in TARGETS[target]:
        out += [
            f"{KIND_LABEL.get(kind, kind)} checks, in run order:",
            "",
            "| check | findings | looks at | OK | WARN | FAIL |",
            "|---|---|---|---|---|---|",
            *(_check_row(spec) for spec in checks_for(kind)),
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def schema_block() -> str:
    """The JSON Schema as a fenced block."""
    return "```json\n" + json.dumps(REPORT_SCHEMA, indent=2, ensure_ascii=False) + "\n```\n"


def _matches(rule: Rule) -> str:
    parts = []
    if rule.pattern:
        parts.append(f"text matches `{rule.pattern}`")
    if rule.codes:
        parts.append("code is " + ", ".join(f"`{c}`" for c in sorted(rule.codes)))
    text = " or ".join(parts)
    if rule.exit is not None:
        text = f"{text} and the essential container's exit code is {EXIT_WORDS[rule.exit]}".lstrip()
    return text or "anything (fallback)"


def _wording(rule: Rule, example: Example) -> str:
    first, *rest = example.message.split("\n")
    text = f"`{first}`" + "".join(f" / container reason: `{line}`" for line in rest)
    extras = []
    if example.stop_code:
        extras.append(f"stopCode `{example.stop_code}`")
    if example.exit_code is not None:
        extras.append(f"exit code {example.exit_code}")
    if example.code and rule.source is Source.TARGET_HEALTH:
        extras.append(f"reason `{example.code}`")
    return text + (f" ({', '.join(extras)})" if extras else "")


def _rule(rule: Rule) -> list[str]:
    lines = [f"#### `{rule.id}` — {rule.status.value} — {rule.title}", "", f"- Matches: {_matches(rule)}"]
    if rule.highlight:
        lines.append("- Highlighted in the events evidence")
    lines += [f"- AWS wording: {_wording(rule, e)}" for e in rule.examples]
    lines += [f"- Cause: {rule.cause}", f"- Fix: {rule.remediation}", ""]
    return lines


def rules_block() -> str:
    """Every rule, per area."""
    out: list[str] = []
    for title, intro, rules in RULE_AREAS:
        out += [f"### {title}", "", intro, ""]
        for rule in rules:
            out += _rule(rule)
    return "\n".join(out).rstrip() + "\n"


def blocks() -> dict[str, str]:
    """Marker name -> generated content."""
    out = {f"CHECKS {target}": checks_block(target) for target in TARGETS}
    out["SCHEMA"] = schema_block()
    out["RULES"] = rules_block()
    return out


def render(doc: str) -> str:
    """``doc`` with every generated block replaced; a missing marker is an error."""
    for name, content in blocks().items():
        begin, end = f"<!-- BEGIN_{name} -->", f"<!-- END_{name} -->"
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.S)
        if not pattern.search(doc):
            raise SystemExit(f"{DOC}: the markers {begin} / {end} are missing")
        doc = pattern.sub(lambda _, b=begin, c=content, e=end: f"{b}\n{c}{e}", doc)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/DIAGNOSE.md is stale; write nothing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="repository root")
    args = parser.parse_args(argv)
    path = args.root / DOC
    current = path.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(f"{DOC} is stale: run python scripts/gen_diagnose_doc.py", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        path.write_text(wanted, encoding="utf-8")
        print(f"{DOC}: checks, schema and rules updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
