"""Rich text rendering of a diagnosis: a header panel per target, colour-coded findings, fix lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from popcornctl.diagnose.findings import DiagnosisReport, Finding, Health, Status, TargetReport
from popcornctl.diagnose.window import human_age

if TYPE_CHECKING:
    from rich.console import Console

STATUS_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
STATUS_MARK = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗"}
HEALTH_STYLE = {Health.HEALTHY: "green", Health.DEGRADED: "yellow", Health.DOWN: "red"}
KIND_LABEL = {
    "ecs-cluster": "ECS cluster",
    "ecs-service": "ECS service",
    "rds-instance": "RDS instance",
    "alb-load-balancer": "Load balancer",
    "alb-target-group": "Target group",
    "cache-replication-group": "Valkey replication group",
    "kafka-cluster": "Kafka cluster",
    "kafka-broker": "Kafka broker",
    "network-vpc": "VPC",
}


def render(report: DiagnosisReport, console: Console, *, verbose: bool = False) -> None:
    """Print the report: run header, one panel and finding list per target, a closing summary."""
    from rich.markup import escape

    _out(
        console,
        f"[bold]popcornctl diagnose {report.command}[/] — {escape(report.where)}"
        f"{f', environment {escape(report.environment)}' if report.environment else ''}, "
        f"last {human_age(report.since)}",
    )
    for note in report.names.notes:
        _out(console, f"[dim]  {escape(note)}[/]")
    if report.command == "all":
        _summary_table(console, report)
    for target in report.targets:
        _out(
            console,
        )
        _panel(console, target)
        if target.kind == "ecs-cluster":
            _service_table(console, report)
        for finding in _ordered(target.findings):
            _finding(console, finding, verbose)
    counts = report.counts()
    _out(
        console,
    )
    if verbose and report.fetch_seconds is not None:
        checks = sum(sum(t.timings.values()) for t in report.targets)
        _out(console, f"[dim]read AWS in {report.fetch_seconds:.2f}s, ran the checks in {checks * 1000:.0f}ms[/]")
    style = HEALTH_STYLE[report.health]
    _out(
        console,
        f"[{style}]{report.health.value.upper()}[/]: {counts['FAIL']} FAIL, {counts['WARN']} WARN, "
        f"{counts['OK']} OK — exit {report.exit_code}",
    )


def _out(console: Console, *objects: object, soft_wrap: bool = True) -> None:
    """console.print without emoji codes (AWS ARNs contain ':secret:') or auto-highlighting; text lines are
    not hard-wrapped (the terminal wraps them; piped output keeps one finding per line)."""
    console.print(*objects, emoji=False, highlight=False, soft_wrap=soft_wrap)


def _panel(console: Console, target: TargetReport) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for key, value in target.facts.items():
        grid.add_row(escape(key), escape(value))
    style = HEALTH_STYLE[target.health]
    _out(
        console,
        Panel(
            grid,
            title=f"[bold]{KIND_LABEL.get(target.kind, target.kind)} {escape(target.name)}[/]",
            subtitle=f"[{style}]{target.health.value}[/]",
            border_style=style,
            expand=False,
        ),
        soft_wrap=False,
    )


def _service_table(console: Console, report: DiagnosisReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    services = [t for t in report.targets if t.kind == "ecs-service"]
    if not services:
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="dim")
    table.add_column("service")
    table.add_column("health")
    table.add_column("tasks")
    table.add_column("first problem")
    for svc in services:
        problem = next((f for f in _ordered(svc.findings) if f.status is not Status.OK), None)
        style = HEALTH_STYLE[svc.health]
        table.add_row(
            escape(svc.name),
            f"[{style}]{svc.health.value}[/]",
            escape(svc.facts.get("tasks", "").split(" / pending")[0]),
            escape(problem.title) if problem else "",
        )
    _out(console, table, soft_wrap=False)


def _summary_table(console: Console, report: DiagnosisReport) -> None:
    """``diagnose all``: one line per target, worst first (the report's order), before the details."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, box=None, header_style="dim")
    for column in ("target", "health", "FAIL", "WARN", "first problem"):
        table.add_column(column)
    for target in report.targets:
        problem = next((f for f in _ordered(target.findings) if f.status is not Status.OK), None)
        counts = {s: sum(1 for f in target.findings if f.status is s) for s in (Status.FAIL, Status.WARN)}
        style = HEALTH_STYLE[target.health]
        table.add_row(
            escape(f"{KIND_LABEL.get(target.kind, target.kind)} {target.name}"),
            f"[{style}]{target.health.value}[/]",
            str(counts[Status.FAIL]),
            str(counts[Status.WARN]),
            escape(problem.title) if problem else "",
        )
    _out(console, "")
    _out(console, table, soft_wrap=False)


def _ordered(findings: list[Finding]) -> list[Finding]:
    """FAIL first, then WARN, then OK (all kept: an OK line is evidence that a check ran)."""
    return sorted(findings, key=lambda f: -f.status.rank)


def _finding(console: Console, finding: Finding, verbose: bool) -> None:
    from rich.markup import escape

    style = STATUS_STYLE[finding.status]
    _out(
        console,
        f"  [{style}]{STATUS_MARK[finding.status]} {finding.status.value:<4}[/] [dim]{escape(finding.check):<24}[/] "
        f"{escape(finding.title)}",
    )
    if finding.status is Status.OK and not verbose:
        return
    for line in finding.evidence:
        _out(console, f"         [dim]· {escape(line)}[/]")
    if finding.cause:
        _out(console, f"         cause: {escape(finding.cause)}")
    if finding.remediation:
        _out(console, f"         [bold]→ fix:[/] {escape(finding.remediation)}")
    if finding.rule and verbose:
        _out(console, f"         [dim]rule {escape(finding.rule)}[/]")
