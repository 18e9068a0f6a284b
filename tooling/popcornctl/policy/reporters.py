"""Report formats: ``table`` (Rich, grouped by severity, with remediation), ``json`` (schema version 1),
``sarif`` (SARIF 2.1.0, as GitHub code scanning reads it) and ``junit`` (JUnit XML for CI dashboards).
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from popcornctl.common.severity import ALL_SEVERITIES, SEVERITY_RANK
from popcornctl.policy.api import PolicyStatus
from popcornctl.policy.results import NOTHING_EVALUATED, PolicyReport, Result, threshold_rank

if TYPE_CHECKING:
    from rich.console import Console

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "unrated": "1.0"}
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "unrated": "note"}
_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "unrated": "dim"}


def render(report: PolicyReport, fmt: str, fail_on: str) -> str:
    """The report as text in ``fmt`` (json, sarif, junit, or plain table)."""
    if fmt == "json":
        return json.dumps(report.as_dict(fail_on), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(to_sarif(report, fail_on), indent=2) + "\n"
    if fmt == "junit":
        return to_junit(report, fail_on)
    if fmt == "table":
        return table_text(report, fail_on)
    raise ValueError(f"unknown format {fmt!r}")


# -- table ---------------------------------------------------------------------------------------


def table_text(report: PolicyReport, fail_on: str, width: int = 160) -> str:
    """The table as plain text (for --out FILE)."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, force_terminal=False, highlight=False)
    print_table(report, fail_on, console)
    return buffer.getvalue()


def _header(report: PolicyReport) -> str:
    envs = sorted({f"{i.environment} ({i.environment_source})" for i in report.inputs if i.environment})
    env = ", ".join(envs) if envs else "unknown"
    ran = sum(1 for p in report.policies if p.status == "ran")
    kinds = "directory" if report.static else "plan"
    count = len(report.inputs)
    checkov = report.checkov
    if checkov.ran:
        ck = (
            f"Checkov {checkov.version or '?'}: {checkov.failed} failed ({checkov.merged} shown, "
            f"{len(checkov.superseded)} folded into ours)"
        )
    else:
        ck = f"Checkov not run ({checkov.reason or 'disabled'})"
    return (
        f"policy-check · environment {env} · {count} {kinds}{'s' if count != 1 else ''} · "
        f"{ran}/{len(report.policies)} policies ran · {ck}"
    )


MAX_ROWS_PER_POLICY = 6


def _findings_table(title: str, style: str) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=True, title_style=style)
    table.add_column("id", no_wrap=True)
    table.add_column("resource / where", ratio=2, overflow="fold")
    table.add_column("finding", ratio=3, overflow="fold")
    return table


def _name(result: Result, report: PolicyReport) -> str:
    """The address, stack-qualified only when the report covers several stacks."""
    return result.qualified_address if report.multi_stack else result.address


def _where(result: Result, report: PolicyReport) -> Any:
    from rich.text import Text

    text = Text(_name(result, report))
    if result.location:
        text.append(f"\n{result.location}", style="dim")
    return text


def print_table(report: PolicyReport, fail_on: str, console: Console) -> None:
    """Findings grouped by severity (blocking first), then waived, unknown, not run, warnings, verdict."""
    from rich.text import Text

    console.print(Text(_header(report), style="bold"))
    _print_always_blocking(report, console)
    _print_failures(report, fail_on, console)
    _print_waived(report, console)
    _print_unknowns(report, fail_on, console)
    _print_not_run(report, console)
    for warning in report.warnings:
        if report.nothing_evaluated and warning.startswith(NOTHING_EVALUATED):
            continue  # the verdict below says it
        console.print(Text(f"warning: {warning}", style="yellow"))
    _print_verdict(report, fail_on, console)


def _print_always_blocking(report: PolicyReport, console: Console) -> None:
    from rich.text import Text

    special = [r for r in report.results if r.status in (PolicyStatus.ERROR, PolicyStatus.EXPIRED)]
    if special:
        table = _findings_table(f"Blocking regardless of --fail-on ({len(special)})", "bold red")
        for r in special:
            table.add_row(r.id, _where(r, report), Text(f"{r.status}: {r.message}\nfix: {r.remediation}"))
        console.print(table)


def _print_failures(report: PolicyReport, fail_on: str, console: Console) -> None:
    """One table per severity, worst first; at most MAX_ROWS_PER_POLICY rows per policy."""
    from rich.text import Text

    failing = [r for r in report.results if r.status == PolicyStatus.FAIL]
    for severity in ALL_SEVERITIES:
        group = [r for r in failing if r.severity == severity]
        if not group:
            continue
        blocks = SEVERITY_RANK[severity] >= threshold_rank(fail_on)
        label = "blocks" if blocks else f"below --fail-on {fail_on}"
        table = _findings_table(f"{severity.upper()} ({len(group)}, {label})", _STYLE[severity])
        by_id: dict[str, list[Result]] = defaultdict(list)
        for r in sorted(group, key=lambda x: (x.id, x.qualified_address)):
            by_id[r.id].append(r)
        for policy_id, rows in by_id.items():
            shown = rows if len(rows) <= MAX_ROWS_PER_POLICY else rows[: MAX_ROWS_PER_POLICY - 1]
            for number, r in enumerate(shown):
                table.add_row(Text(policy_id, style=_STYLE[severity]), _where(r, report), _failure_text(r, number == 0))
            if len(shown) < len(rows):
                table.add_row(
                    Text(policy_id, style=_STYLE[severity]),
                    Text(f"… and {len(rows) - len(shown)} more", style="dim"),
                    Text("(every finding is in --output json/sarif/junit)", style="dim"),
                )
        console.print(table)


def _failure_text(result: Result, with_fix: bool) -> Any:
    """The message, who else reported it, and (on a policy's first row) the fix."""
    from rich.text import Text

    text = Text(result.message)
    if result.also_reported_by:
        text.append(f" (also {', '.join(result.also_reported_by)})", style="dim")
    if with_fix and (result.remediation or result.guideline):
        text.append(f"\nfix: {result.remediation or result.guideline}", style="green")
    return text


def _print_waived(report: PolicyReport, console: Console) -> None:
    from rich import box
    from rich.table import Table

    waived = [r for r in report.results if r.status == PolicyStatus.WAIVED]
    if not waived:
        return
    table = Table(
        title=f"Waived ({len(waived)})", title_justify="left", box=box.SIMPLE_HEAD, expand=True, title_style="dim"
    )
    for col in ("id", "resource", "reason", "expires", "approved by"):
        table.add_column(col, overflow="fold", style="dim")
    for r in waived:
        w = r.waiver or {}
        table.add_row(
            r.id,
            _name(r, report),
            str(w.get("reason", "")),
            str(w.get("expires", "")),
            str(w.get("approved_by", "")),
        )
    console.print(table)


def _print_unknowns(report: PolicyReport, fail_on: str, console: Console) -> None:
    from rich import box
    from rich.table import Table

    unknowns = report.unknowns
    if not unknowns:
        return
    table = Table(
        title=f"Unknown until apply ({len(unknowns)}; "
        + ("blocks at --fail-on unknown)" if fail_on == "unknown" else "never blocks)"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        expand=True,
        title_style="cyan",
    )
    for col in ("id", "resource", "why"):
        table.add_column(col, overflow="fold")
    for r in sorted(unknowns, key=lambda x: (x.id, x.qualified_address)):
        table.add_row(r.id, _name(r, report), r.message)
    console.print(table)


def _print_not_run(report: PolicyReport, console: Console) -> None:
    from rich.text import Text

    why = {"needs-plan": "needs a plan (could not run statically)", "environment-unknown": "environment unknown"}
    for status, reason in why.items():
        ids = [p.id for p in report.policies if p.status == status]
        if ids:
            console.print(Text(f"Not evaluated — {reason}: {', '.join(ids)}", style="yellow"))


def _print_verdict(report: PolicyReport, fail_on: str, console: Console) -> None:
    from rich.text import Text

    blocking = report.blocking(fail_on)
    summary = report.summary(fail_on)
    counts = ", ".join(f"{n} {s}" for s, n in summary["fail"].items() if n) or "none"
    extras = f"{summary['waived']} waived, {summary['unknown']} unknown until apply"
    if report.nothing_evaluated:
        console.print(
            Text(
                f"NOTHING EVALUATED: none of the {report.changes_total} resource change(s) has planned values "
                "(after: null), so no policy could check anything — this is no pass; plan again and check the "
                f"complete plan{'' if blocking else ' (--fail-on unknown fails it)'}",
                style="bold red" if blocking else "bold yellow",
            )
        )
    if blocking:
        console.print(
            Text(
                f"FAIL: {len(blocking)} finding(s) block at --fail-on {fail_on} (failures: {counts}; {extras})",
                style="bold red",
            )
        )
    elif not report.nothing_evaluated:
        console.print(
            Text(f"PASS: nothing at or above --fail-on {fail_on} (failures: {counts}; {extras})", style="bold green")
        )


# -- SARIF ---------------------------------------------------------------------------------------


def _fingerprint(result: Result) -> str:
    text = f"{result.id}|{result.stack or ''}|{result.address}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def to_sarif(report: PolicyReport, fail_on: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rules carry GitHub's ``security-severity``."""
    from popcornctl import __version__

    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    meta = {p.id: p for p in report.policies}

    def rule_for(result: Result) -> int:
        if result.id in rule_index:
            return rule_index[result.id]
        description = result.rationale or result.title
        properties: dict[str, Any] = {
            "security-severity": _SECURITY_SEVERITY.get(result.severity, "1.0"),
            "severity": result.severity,
            "source": result.source,
            "tags": ["security", "terraform", result.source],
        }
        rule: dict[str, Any] = {
            "id": result.id,
            "name": "".join(ch for ch in result.title.title() if ch.isalnum())[:100] or result.id,
            "shortDescription": {"text": result.title},
            "fullDescription": {"text": description},
            "help": {
                "text": result.remediation or result.guideline or result.title,
                "markdown": f"**{result.title}**\n\n{description}\n\n**Fix:** {result.remediation or '-'}",
            },
            "defaultConfiguration": {"level": _LEVEL.get(result.severity, "note")},
            "properties": properties,
        }
        if result.guideline:
            rule["helpUri"] = result.guideline
        if result.id in meta:
            properties["resource_types"] = list(meta[result.id].resource_types)
        rule_index[result.id] = len(rules)
        rules.append(rule)
        return rule_index[result.id]

    default_uri = next((i.source for i in report.inputs if i.kind == "plan"), None) or "."
    sarif_results: list[dict[str, Any]] = []
    for result in report.results:
        index = rule_for(result)
        uri = result.file or default_uri.split(" [", 1)[0]
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if result.file and result.line:
            physical["region"] = {"startLine": result.line}
        entry: dict[str, Any] = {
            "ruleId": result.id,
            "ruleIndex": index,
            "message": {"text": f"{_name(result, report)}: {result.message}"},
            "locations": [
                {
                    "physicalLocation": physical,
                    "logicalLocations": [{"fullyQualifiedName": _name(result, report), "kind": "resource"}],
                }
            ],
            "partialFingerprints": {"popcornctlFinding/v1": _fingerprint(result)},
            "properties": {
                "severity": result.severity,
                "status": result.status,
                "blocking": result.is_blocking(fail_on),
                "address": result.address,
                "stack": result.stack,
                "actions": list(result.actions),
            },
        }
        if result.status == "unknown":
            entry["kind"] = "review"
            entry["level"] = "none"
        else:
            entry["kind"] = "fail"
            entry["level"] = "error" if result.status in ("error", "expired") else _LEVEL.get(result.severity, "note")
        if result.status == "waived" and result.waiver:
            entry["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": (
                        f"{result.waiver.get('reason')} (approved by {result.waiver.get('approved_by')}, "
                        f"expires {result.waiver.get('expires')})"
                    ),
                }
            ]
        sarif_results.append(entry)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "popcornctl policy-check",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "popcornctl/policy-check/"},
                "invocations": [
                    {"executionSuccessful": True, "exitCode": report.exit_code(fail_on)},
                ],
                "results": sarif_results,
                "properties": {"fail_on": fail_on, "passed": report.passed(fail_on)},
            }
        ],
    }


# -- JUnit ---------------------------------------------------------------------------------------


def to_junit(report: PolicyReport, fail_on: str) -> str:
    """JUnit XML: one suite per policy (and per Checkov check that failed), one case per resource."""
    by_key: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in report.results:
        by_key[(result.id, result.address)].append(result)
    suites: dict[str, list[ET.Element]] = defaultdict(list)
    titles: dict[str, str] = {p.id: p.title for p in report.policies}

    def case(suite_id: str, name: str, results: list[Result]) -> None:
        suites[suite_id].append(_junit_case(suite_id, name, results, fail_on))
        titles.setdefault(suite_id, results[0].title if results else suite_id)

    seen: set[tuple[str, str]] = set()
    for policy_id, address, _outcome in report.checks:
        if (policy_id, address) in seen:
            continue
        seen.add((policy_id, address))
        case(policy_id, address, by_key.get((policy_id, address), []))
    for key, results in sorted(by_key.items()):
        if key not in seen:
            seen.add(key)
            case(key[0], _name(results[0], report), results)
    for run in report.policies:
        if run.id not in suites:
            element = ET.Element("testcase", {"classname": run.id, "name": f"({run.status})"})
            if run.status != "ran":
                ET.SubElement(element, "skipped", {"message": run.status})
            suites[run.id].append(element)
    return _junit_document(suites, titles)


def _junit_case(suite_id: str, name: str, results: list[Result], fail_on: str) -> ET.Element:
    """One test case: an error, a failure (failed findings and expired waivers), skipped, or passed."""
    element = ET.Element("testcase", {"classname": suite_id, "name": name})
    statuses = {r.status for r in results}
    if PolicyStatus.ERROR in statuses:
        r = next(r for r in results if r.status == PolicyStatus.ERROR)
        child = ET.SubElement(element, "error", {"message": r.message, "type": "policy-error"})
        child.text = r.message
    elif statuses & {PolicyStatus.FAIL, PolicyStatus.EXPIRED}:
        bad = [r for r in results if r.status in (PolicyStatus.FAIL, PolicyStatus.EXPIRED)]
        child = ET.SubElement(
            element,
            "failure",
            {
                "message": "; ".join(r.message for r in bad)[:2000],
                "type": bad[0].severity if bad[0].status == PolicyStatus.FAIL else "expired-waiver",
            },
        )
        child.text = "\n".join(
            f"[{r.severity}{', blocking' if r.is_blocking(fail_on) else ''}] {r.message}\n"
            f"where: {r.location or '-'}\nfix: {r.remediation or r.guideline or '-'}"
            for r in bad
        )
    elif PolicyStatus.WAIVED in statuses:
        r = next(r for r in results if r.status == PolicyStatus.WAIVED)
        ET.SubElement(element, "skipped", {"message": f"waived: {(r.waiver or {}).get('reason', '')}"})
    elif PolicyStatus.UNKNOWN in statuses:
        ET.SubElement(element, "skipped", {"message": "unknown until apply: " + results[0].message})
    return element


def _junit_document(suites: dict[str, list[ET.Element]], titles: dict[str, str]) -> str:
    root = ET.Element("testsuites", {"name": "popcornctl policy-check"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite_id in sorted(suites):
        cases = suites[suite_id]
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for name, value in counts.items():
            totals[name] += value
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": f"{suite_id}: {titles.get(suite_id, suite_id)}",
                **{k: str(v) for k, v in counts.items()},
            },
        )
        suite.extend(cases)
    root.attrib.update({k: str(v) for k, v in totals.items()})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
