"""A scan for people: tables grouped per stack on a terminal, Markdown for an issue body or a chat message.

The JSON form is :meth:`DriftReport.as_dict` (``data/drift.schema.json``). Informational changes (attributes the
configuration does not set) are counted in the summary and listed only with ``--verbose`` in text, and in a
collapsed section in Markdown, so that they never drown the drift that counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from popcornctl.drift.model import AttributeChange, DriftReport, ManagedFinding, StackDrift, UnmanagedResource

if TYPE_CHECKING:
    from rich.console import Console

MARKER = "<!-- popcornctl-drift env={env} -->"  # the workflow finds its issue by this line
MAX_ATTRIBUTE_LINES = 8  # short-diff lines per attribute in tables

_SECTIONS = (
    ("changed", "changed outside Terraform"),
    ("deleted", "deleted outside Terraform"),
    ("pending", "not yet applied (configuration changes, not drift)"),
)
_FATE = {"reverts": "the next apply sets it back", "replaces": "the next apply replaces the resource",
         "keeps": "Terraform keeps it", "applies": "the next apply sets it"}


def summary_line(report: DriftReport) -> str:
    """``2 changed, 1 deleted, 3 unmanaged; 1 pending, 1 ignored, 4 informational`` (what was found)."""
    totals = report.totals()
    drift = [f"{totals[k]} {k}" for k in ("changed", "deleted", "unmanaged")]
    rest = [f"{totals[k]} {k}" for k in ("pending", "ignored", "informational") if totals[k]]
    errors = [f"{totals['errors']} error{'s' if totals['errors'] != 1 else ''}"] if totals["errors"] else []
    return ", ".join(drift) + ("; " + ", ".join(rest + errors) if rest or errors else "")


def _attribute_lines(attribute: AttributeChange) -> list[str]:
    lines = attribute.lines()
    if len(lines) > MAX_ATTRIBUTE_LINES:
        more = len(lines) - MAX_ATTRIBUTE_LINES + 1
        lines = [*lines[: MAX_ATTRIBUTE_LINES - 1], f"… {more} more (see --output json)"]
    if len(lines) == 1:
        return [f"{attribute.path}: {lines[0]}"]
    return [f"{attribute.path}:", *(f"  {line}" for line in lines)]


def _attribute_note(finding: ManagedFinding, attribute: AttributeChange) -> str:
    if attribute.ignored:
        return f"  [ignored: rule {attribute.ignored.rule}]"
    if finding.kind != "changed":
        return ""
    fate = _FATE.get(attribute.next_apply, attribute.next_apply)
    if attribute.next_apply == "keeps" and not attribute.configured:
        fate += ": not in the configuration"
    return f"  ({fate})"


def _detail_lines(finding: ManagedFinding, verbose: bool) -> list[str]:
    """What changed in a finding, one attribute after the other, then its note, who did it, why it is ignored."""
    lines: list[str] = []
    for attribute in finding.attributes:
        if not attribute.counted and not attribute.ignored and not verbose and not finding.informational:
            continue
        text = _attribute_lines(attribute)
        text[0] += _attribute_note(finding, attribute)
        lines += text
    if finding.note:
        lines.append(finding.note)
    if finding.attribution:
        a = finding.attribution
        lines.append(f"by {a.who} ({a.event}, {a.when})")
    if finding.ignored:
        lines.append(f"ignored by rule {finding.ignored.rule}: {finding.ignored.reason}")
    return lines


def _change_text(finding: ManagedFinding, verbose: bool) -> str:
    return "\n".join(_detail_lines(finding, verbose)) or "-"


def _shown(finding: ManagedFinding, verbose: bool) -> bool:
    return verbose or not finding.informational


def render_text(console: Console, report: DriftReport, *, verbose: bool = False) -> None:
    """A table of the stacks, each stack's findings grouped under it, the unmanaged resources, the summary."""
    from rich.markup import escape

    _render_overview(console, report)
    for stack in report.stacks:
        if stack.status in ("not_applied", "skipped"):
            console.print(f"[dim]{escape(stack.stack)}: {escape(stack.reason)}[/]", highlight=False)
    for stack in report.stacks:
        _render_stack(console, stack, verbose)
    _render_unmanaged(console, report)
    _render_notes(console, report, verbose)
    console.print(f"\n[bold]drift {report.env}:[/] {summary_line(report)} (exit {report.exit_code})", highlight=False)


def _render_overview(console: Console, report: DriftReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    overview = Table(show_header=True, header_style="bold", expand=False, pad_edge=False, box=None)
    for name in ("stack", "result", "changed", "deleted", "pending", "informational", "resources"):
        overview.add_column(name, justify="left" if name in ("stack", "result") else "right")
    for stack in report.stacks:
        counted = [f.kind for f in stack.findings if f.counted]
        informational = sum(1 for f in stack.findings if f.informational)
        result = ("drift" if {"changed", "deleted"} & set(counted) else "no drift") if stack.status == "checked" \
            else stack.status.replace("_", " ")
        counts = [str(counted.count(k)) for k in ("changed", "deleted", "pending")]
        overview.add_row(escape(stack.stack), result, *counts, str(informational), str(stack.resources))
    console.print(overview)


def _render_stack(console: Console, stack: StackDrift, verbose: bool) -> None:
    """A failed stack's Terraform error, then its findings grouped by kind."""
    from rich.markup import escape

    findings = [f for f in stack.findings if _shown(f, verbose)]
    if stack.status == "failed" and stack.error:
        console.print(f"\n[bold]{escape(stack.stack)}[/] — [bold red]failed[/]: {escape(stack.reason)}")
        for line in stack.error.strip().splitlines()[-15:]:
            console.print(f"  {line}", highlight=False, markup=False)
        if stack.log_file:
            console.print(f"  [dim]full Terraform output: {escape(stack.log_file)}[/]", highlight=False)
    if not findings:
        return
    console.print(f"\n[bold]{escape(stack.stack)}[/]", highlight=False)
    for kind, title in _SECTIONS:
        group = [f for f in findings if f.kind == kind]
        if not group:
            continue
        style = {"pending": "cyan", "deleted": "red"}.get(kind, "yellow")
        console.print(f"  [{style}]{title} ({len(group)})[/]", highlight=False)
        for finding in group:
            _render_finding(console, finding, kind, verbose)


def _render_finding(console: Console, finding: ManagedFinding, kind: str, verbose: bool) -> None:
    from rich.markup import escape

    label = "" if finding.counted else ("  [informational]" if finding.informational else "  [ignored]")
    if kind == "pending" and not verbose:
        paths = ", ".join(a.path for a in finding.attributes[:6])
        more = f" (+{len(finding.attributes) - 6})" if len(finding.attributes) > 6 else ""
        why = f"; {finding.note}" if finding.cause == "follows" and finding.note else ""
        console.print(f"    {escape(finding.address)}: {finding.next_apply}"
                      + (f" {escape(paths)}{more}" if paths else "") + escape(why), highlight=False)
        return
    console.print(f"    [bold]{escape(finding.address)}[/]{escape(label)}  [dim]next apply: "
                  f"{finding.next_apply}[/]", highlight=False)
    for line in _detail_lines(finding, verbose):
        console.print(f"      {line}", highlight=False, markup=False)


def _render_notes(console: Console, report: DriftReport, verbose: bool) -> None:
    """What the tables leave out: hidden informational changes, CloudTrail, stale ignore rules, errors."""
    from rich.markup import escape

    hidden = report.totals()["informational"]
    if hidden and not verbose:
        console.print(f"[dim]{hidden} informational change(s) only in attributes the configuration does not set are "
                      "not listed (--verbose lists them; they never count)[/]", highlight=False)
    if report.cloudtrail.get("status") not in ("ok", "skipped"):
        console.print(f"[dim]who/when: CloudTrail {report.cloudtrail.get('status')}: "
                      f"{escape(str(report.cloudtrail.get('reason', '')))}[/]", highlight=False)
    for rule in report.rules:
        if not rule.matched:
            console.print(f"[yellow]ignore rule {rule.rule} ({escape(rule.address)}) matched nothing: remove it from "
                          "popcorn.toml [drift] if it is stale[/]", highlight=False)
    for problem in report.errors():
        console.print(f"[bold red]incomplete:[/] {escape(problem)}", highlight=False)


def _unmanaged_where(resource: UnmanagedResource) -> str:
    parts = [p for p in (resource.name, resource.detail) if p]
    if resource.parent:
        parts.append(f"in {resource.parent}")
    return ", ".join(parts) or "-"


def _render_unmanaged(console: Console, report: DriftReport) -> None:
    from rich.table import Table

    inventory = report.inventory
    if inventory.status == "skipped":
        console.print(f"[bold]unmanaged[/] — not looked for ({inventory.reason})", highlight=False)
        return
    resources = inventory.resources
    counted = sum(1 for r in resources if r.counted)
    console.print(f"[bold]unmanaged[/] — {counted} in no stack's state"
                  + (f", {len(resources) - counted} ignored" if len(resources) > counted else "")
                  + f" ({len(inventory.coverage)} kinds listed, {inventory.api_calls} AWS calls)", highlight=False)
    if not resources:
        return
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    table.add_column("type")
    table.add_column("id", overflow="fold")
    table.add_column("what / where", overflow="fold")
    table.add_column("found by")
    for resource in resources:
        where = _unmanaged_where(resource)
        if resource.ignored:
            where += f"\nignored by rule {resource.ignored.rule}: {resource.ignored.reason}"
        table.add_row(resource.type, resource.id, where, ", ".join(resource.found_by))
    console.print(table)


# -- Markdown ----------------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>") or " "


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def render_markdown(report: DriftReport) -> str:
    """The scan as Markdown: a summary, a section per stack with drift, the unmanaged resources, the rest folded."""
    totals = report.totals()
    lines = [
        f"## Drift in {report.env}: {summary_line(report)}",
        "",
        f"Scanned {report.started_at} on {report.target} by `popcornctl drift {report.env}` "
        f"(report schema {report.as_dict()['schema_version']}, exit {report.exit_code}).",
        "",
        "| stack | result | changed | deleted | pending |",
        "|---|---|---|---|---|",
    ]
    for stack in report.stacks:
        counted = [f.kind for f in stack.findings if f.counted]
        lines.append(f"| {_cell(stack.stack)} | {_cell(stack.status.replace('_', ' '))}: {_cell(stack.reason)} | "
                     f"{counted.count('changed')} | {counted.count('deleted')} | {counted.count('pending')} |")
    lines.append("")
    for problem in report.errors():
        lines.append(f"> **Incomplete:** {_cell(problem)}")
    for stack in report.stacks:
        drift = [f for f in stack.findings if f.counted and f.kind != "pending"]
        if not drift:
            continue
        lines += [f"### {stack.stack}", "", "| | resource | what changed | next apply |", "|---|---|---|---|"]
        for finding in drift:
            lines.append(f"| {finding.kind} | {_code(finding.address)} | {_cell(_change_text(finding, False))} | "
                         f"{finding.next_apply} |")
        lines.append("")
    unmanaged = [r for r in report.inventory.resources if r.counted]
    if unmanaged:
        lines += ["### Unmanaged: in no stack's state", "", "| type | id | what / where | found by |",
                  "|---|---|---|---|"]
        for resource in unmanaged:
            lines.append(f"| {_code(resource.type)} | {_code(resource.id)} | {_cell(_unmanaged_where(resource))} | "
                         f"{_cell(', '.join(resource.found_by))} |")
        lines.append("")
    pending = [f for s in report.stacks for f in s.findings if f.kind == "pending"]
    if pending:
        lines += _folded(f"Not yet applied: {len(pending)} configuration change(s), not drift",
                         [f"- `{f.stack}` {_code(f.address)}: {f.next_apply}"
                          + (f" ({f.cause})" if f.cause == "follows" else "") for f in pending])
    ignored = [f for s in report.stacks for f in s.findings
               if f.kind != "pending" and (f.ignored or any(a.ignored for a in f.attributes))]
    ignored_unmanaged = [r for r in report.inventory.resources if r.ignored]
    if ignored or ignored_unmanaged:
        items = [f"- {_code(f.address)}: " + "; ".join(
            [f"rule {f.ignored.rule}: {f.ignored.reason}"] if f.ignored else
            [f"{a.path} (rule {a.ignored.rule}: {a.ignored.reason})" for a in f.attributes if a.ignored])
            for f in ignored]
        items += [f"- {_code(r.address)}: rule {r.ignored.rule}: {r.ignored.reason}"
                  for r in ignored_unmanaged if r.ignored]
        lines += _folded(f"Ignored by popcorn.toml [drift] rules: {totals['ignored']}", items)
    informational = [f for s in report.stacks for f in s.findings if f.informational]
    if informational:
        lines += _folded(f"Informational: {len(informational)} change(s) in attributes the configuration does not set",
                         [f"- {_code(f.address)}: " + ", ".join(a.path for a in f.attributes) for f in informational])
    lines += [MARKER.format(env=report.env), ""]
    return "\n".join(lines)


def _folded(title: str, items: list[str]) -> list[str]:
    return ["<details>", f"<summary>{title}</summary>", "", *items, "", "</details>", ""]
