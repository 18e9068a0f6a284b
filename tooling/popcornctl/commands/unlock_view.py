"""What ``popcornctl unlock`` prints about held locks: the table, and one lock group before it is released."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from popcornctl.common.durations import format_duration as format_age
from popcornctl.locks import HeldLock, is_young

if TYPE_CHECKING:
    from rich.console import Console


def lock_groups(locks: Sequence[HeldLock]) -> list[list[HeldLock]]:
    """Locks grouped by (stack, lock ID): a killed run with both places configured is one group of two."""
    grouped: dict[tuple[str, str], list[HeldLock]] = {}
    for lock in locks:
        grouped.setdefault((lock.stack, lock.lock_id), []).append(lock)
    return list(grouped.values())


def _created(lock: HeldLock) -> str:
    if lock.created is None:
        return "?"
    text = lock.created.strftime("%Y-%m-%d %H:%M:%S UTC")
    return text + (" (s3 mtime)" if lock.created_from == "s3-last-modified" else "")


def print_locks(console: Console, locks: Sequence[HeldLock], older_than: timedelta, numbered: bool) -> None:
    """One row per held lock (numbered by group when the user picks one); unreadable locks' stored Info below."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    columns = (["#"] if numbered else []) + [
        "stack",
        "where",
        "lock id",
        "operation",
        "who",
        "version",
        "created",
        "age",
    ]
    id_width = max((len(lock.lock_id) for lock in locks), default=7)
    for column in columns:
        if column == "lock id":  # copied into --lock-id: never wrapped, on a terminal or in a pipe
            table.add_column(column, no_wrap=True, overflow="ignore", min_width=id_width)
        else:
            table.add_column(column, overflow="fold")
    index = {id(lock): n for n, group in enumerate(lock_groups(locks), 1) for lock in group}
    for lock in locks:
        age_style = "yellow" if is_young(lock, older_than) else "green"
        operation = "[red]unreadable[/red]" if lock.unreadable else escape(lock.short_operation)
        row = [
            escape(lock.stack),
            lock.where,
            escape(lock.lock_id),
            operation,
            escape(lock.holder),
            escape(lock.version or "?"),
            _created(lock),
            f"[{age_style}]{format_age(lock.age)}[/{age_style}]",
        ]
        table.add_row(*([str(index[id(lock)])] if numbered else []), *row)
    if not console.is_terminal:
        # A pipe has no width to fit: give the table the room it needs rather than folding it into 80 columns.
        from rich.measure import Measurement

        needed = Measurement.get(console, console.options.update(width=1000), table).maximum
        console.width = max(console.width, needed)
    console.print(table)
    for lock in locks:
        if lock.unreadable:
            raw = lock.raw if len(lock.raw) <= 200 else lock.raw[:200] + "…"
            console.print(
                f"[red]unreadable[/red] {escape(lock.location)}: {escape(lock.problem or '')}; "
                f"stored Info: {escape(raw)!r}"
            )


def print_group(console: Console, group: Sequence[HeldLock]) -> None:
    """The lock about to be released: where it is stored, who holds it and since when."""
    from rich.markup import escape

    first = group[0]
    console.print(f"[bold]lock {escape(first.lock_id)}[/bold] on [bold]{escape(first.stack)}[/bold]", soft_wrap=True)
    for lock in group:
        console.print(
            f"  where:     {escape(lock.location)}" + (f" (ETag {lock.etag})" if lock.etag else ""), soft_wrap=True
        )
    if first.unreadable:
        console.print(f"  [red]unreadable[/red]: {escape(first.problem or '')}")
        console.print(f"  stored:    {escape(first.raw)!r}")
    else:
        console.print(f"  operation: {escape(first.operation or '?')}")
        console.print(f"  who:       {escape(first.holder)}")
        console.print(f"  version:   {escape(first.version or '?')}")
    console.print(f"  created:   {_created(first)} ({format_age(first.age)} ago)")
