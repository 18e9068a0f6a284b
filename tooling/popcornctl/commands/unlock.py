"""``popcornctl unlock``: list the Terraform state locks held on stacks, and release a stale one safely.

Exit codes:

- 0 — listed (including "nothing held"), or released and confirmed gone (or it was already gone).
- 1 — nothing released because the user declined, or because the lock changed between listing and
  release (another run re-took it: the conditional delete refused, as it must).
- 2 — refused or impossible: bad arguments; ``--lock-id`` not held; no terminal to ask on and no
  ``--yes``; a lock younger than ``--older-than`` (or of unknown age) without ``--force`` — a young lock
  is most likely a colleague's live apply, so this is a refusal of a destructive action in doubt, the same
  class as the no-TTY refusal; missing table/bucket, no permission, emulator down. Nothing is deleted.
  Also a lock whose holder is a live process on this machine (``locks.holders``): age does not matter then,
  ``--force`` does not override it, only ``--even-if-running`` does.

Lock recovery never depends on parsing stacks it does not need: ``--stack`` looks at folders only, and ``--env``
falls back to every stack (with a warning) when a stack's configuration cannot be parsed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from popcornctl.commands.options import SandboxRunning, runtime
from popcornctl.commands.unlock_view import lock_groups, print_group, print_locks
from popcornctl.common.durations import format_duration as format_age
from popcornctl.common.durations import parse_duration
from popcornctl.console import make_console, print_json
from popcornctl.errors import PopcornError
from popcornctl.locks import (
    HeldLock,
    ReleaseResult,
    append_audit,
    audit_path,
    audit_record,
    is_young,
    local_user,
    read_locks,
    release,
    release_via_terraform,
)
from popcornctl.locks.holders import LiveHolder, live_holders
from popcornctl.runtime import Runtime

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from popcornctl.engine import TfResult
    from popcornctl.locks.release import BeforeDelete

DEFAULT_OLDER_THAN = "15m"


app = typer.Typer()


@app.command(
    "unlock",
    help=(
        "List Terraform state locks held on stacks and safely release a stale one.\n\nExit 0: listed or "
        "released; 1: declined, or the lock changed before release (nothing deleted); 2: refused (young lock "
        "without --force, a holder still running here without --even-if-running, no terminal without --yes) or an "
        "error."
    ),
)
def unlock_command(
    ctx: typer.Context,
    env: Annotated[
        str | None,
        typer.Option("--env", help="The environment's stack and its dependencies.", show_default=False),
    ] = None,
    stack: Annotated[
        str | None, typer.Option("--stack", help="One stack by path, e.g. envs/dev.", show_default=False)
    ] = None,
    all_stacks: Annotated[
        bool, typer.Option("--all", help="Every lock in the lock table and the state bucket.")
    ] = False,
    lock_id: Annotated[
        str | None, typer.Option("--lock-id", help="Release the lock with this ID.", show_default=False)
    ] = None,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Refuse locks younger than this (90s, 15m, 2h, 1d).")
    ] = DEFAULT_OLDER_THAN,
    force: Annotated[bool, typer.Option("--force", help="Release a lock younger than --older-than.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (needed without a terminal).")] = False,
    via_terraform: Annotated[
        bool, typer.Option("--via-terraform", help="Run terraform force-unlock ID in the stack instead.")
    ] = False,
    even_if_running: Annotated[
        bool,
        typer.Option("--even-if-running", help="Release a lock whose holder still runs on this machine."),
    ] = False,
    sandbox: SandboxRunning = False,
) -> int:
    # A sandbox that is not running holds no locks: never start one just to look.
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return unlock(
        rt, env=env, stack=stack, all_stacks=all_stacks, lock_id=lock_id, older_than=older_than, force=force,
        yes=yes, via_terraform=via_terraform, even_if_running=even_if_running,
    )



def _interactive() -> bool:
    """True when there is a terminal to ask on (tests patch this)."""
    return sys.stdin.isatty()


def _confirm(console: Console, question: str) -> bool:
    from rich.prompt import Confirm

    try:
        return bool(Confirm.ask(question, console=console, default=False))
    except EOFError:  # the terminal closed: no answer is a no
        return False


def _choose(console: Console, groups: Sequence[list[HeldLock]]) -> list[HeldLock] | None:
    from rich.prompt import IntPrompt

    choices = [str(n) for n in range(len(groups) + 1)]
    try:
        answer = IntPrompt.ask(
            f"Release which lock? [1-{len(groups)}, 0 for none]", console=console, choices=choices,
            show_choices=False, default=0,
        )
    except EOFError:
        return None
    return None if answer == 0 else list(groups[answer - 1])


def _stacks(
    rt: Runtime, env: str | None, stack: str | None, all_stacks: bool
) -> tuple[list[str] | None, list[str]]:
    """The stacks to look at (None: every lock), and warnings. Only what is needed is parsed."""
    from popcornctl.graph import discover

    chosen = [flag for flag, on in (("--env", env), ("--stack", stack), ("--all", all_stacks)) if on]
    if len(chosen) != 1:
        said = " and ".join(chosen) if chosen else "none of them"
        raise PopcornError(
            f"say which stacks to look at: exactly one of --env, --stack, --all (got {said})",
            "e.g. popcornctl unlock --env dev",
        )
    if all_stacks:
        return None, []
    if env is not None:
        environment = rt.config.environment(env)
        try:
            return sorted(rt.graph.closure([environment.stack])), []
        except PopcornError as exc:
            # A stack that cannot be parsed must not stand between an operator and lock recovery: look at all.
            everything = sorted(discover(rt.root))
            return everything, [
                f"cannot work out {env}'s stacks ({exc.problem}); looking at the locks of every stack instead"
            ]
    path = (stack or "").strip("/")
    known = discover(rt.root)  # folders only: no .tf file is parsed to find one stack
    if path not in known:
        raise PopcornError(f"unknown stack {stack!r}", f"use one of: {', '.join(sorted(known))}")
    return [path], []


def _select(
    rt: Runtime,
    console: Console,
    locks: Sequence[HeldLock],
    lock_id: str | None,
    yes: bool,
    where_text: str,
    min_age: timedelta,
    force: bool,
) -> list[HeldLock] | None:
    """The group of locks to release, or None when only listing was asked for (or nothing chosen)."""
    groups = lock_groups(locks)
    if lock_id is not None:
        chosen = [lock for lock in locks if lock.lock_id == lock_id]
        if not chosen:
            held = ", ".join(sorted({lock.lock_id for lock in locks})) or "none"
            raise PopcornError(
                f"no lock with ID {lock_id} is held on {where_text} (held: {held})",
                "it may have been released already; run popcornctl unlock without --lock-id to list",
            )
        if len({lock.stack for lock in chosen}) > 1:
            raise PopcornError(
                f"lock ID {lock_id} is held on several stacks ({', '.join(sorted({c.stack for c in chosen}))})",
                "narrow it down with --stack",
            )
        return chosen
    if yes:
        if len(groups) == 1:
            return groups[0]
        raise PopcornError(
            f"{len(groups)} locks are held; --yes without --lock-id would have to guess which to release",
            "pass --lock-id ID (see the table above)",
        )
    if not _interactive() or rt.settings.output == "json":
        return None  # listing only
    if len(groups) == 1:
        if is_young(groups[0][0], min_age) and not force:
            console.print(
                f"the lock is younger than --older-than {format_age(min_age)} (or of unknown age), so it is not "
                "offered for release; add --force if you are sure no run is going"
            )
            return None
        return groups[0]  # shown and confirmed by _release_group
    return _choose(console, groups)


def _target_line(rt: Runtime) -> tuple[str, str]:
    """(the one-line target description, who is releasing: the caller identity ARN)."""
    ident = rt.clients.caller_identity()
    return rt.target.describe(ident["account"]), ident["arn"]


def unlock(
    rt: Runtime,
    *,
    env: str | None = None,
    stack: str | None = None,
    all_stacks: bool = False,
    lock_id: str | None = None,
    older_than: str = DEFAULT_OLDER_THAN,
    force: bool = False,
    yes: bool = False,
    via_terraform: bool = False,
    before_delete: BeforeDelete | None = None,
    even_if_running: bool = False,
) -> int:
    """List the locks held on the chosen stacks; release one (after showing it and asking)."""
    min_age = parse_duration(older_than, flag="--older-than")
    stacks, warnings = _stacks(rt, env, stack, all_stacks)
    json_out = rt.settings.output == "json"
    console = make_console(rt.settings, stderr=json_out)
    err = make_console(rt.settings, stderr=True)
    for warning in warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True, highlight=False)
    where_text = "every stack" if stacks is None else ", ".join(stacks)
    target, caller = _target_line(rt)
    backend = rt.config.backend
    locks = read_locks(rt.clients, backend, stacks)
    if not json_out:
        console.print(f"target: {target}")
    if not locks:
        if lock_id is not None:
            raise PopcornError(
                f"no lock with ID {lock_id} is held on {where_text} (no locks at all)",
                "it may have been released already",
            )
        if json_out:
            print_json({"target": target, "stacks": stacks, "locks": []})
        else:
            console.print(f"no state locks held on {where_text}")
        return 0
    if json_out:
        if lock_id is None and not yes:
            print_json({"target": target, "stacks": stacks, "locks": [lock.to_json() for lock in locks]})
            return 0
    else:
        _list(rt, console, locks, min_age, numbered=lock_id is None and not yes and len(lock_groups(locks)) > 1)
    group = _select(rt, console, locks, lock_id, yes, where_text, min_age, force)
    if group is None:
        if not json_out:
            console.print("nothing released (to release one: add --lock-id ID; --yes to skip the question)")
        return 0
    return _release_group(
        rt, console, group, min_age=min_age, force=force, yes=yes, via_terraform=via_terraform,
        target=target, caller=caller, before_delete=before_delete, even_if_running=even_if_running,
    )


def _list(rt: Runtime, console: Console, locks: Sequence[HeldLock], min_age: timedelta, *, numbered: bool) -> None:
    """The table of held locks, then a warning for each lock a live process on this machine holds."""
    print_locks(console, locks, min_age, numbered)
    for lock_group in lock_groups(locks):
        holders = _holders(rt, lock_group[0])
        if holders:
            console.print(
                f"[yellow]lock {lock_group[0].lock_id} is held by a live process on this machine:[/yellow] "
                + "; ".join(h.describe() for h in holders),
                soft_wrap=True, highlight=False,
            )


def _stack_dirs(rt: Runtime, stack: str) -> list[Path]:
    directory = rt.root / stack
    return [directory] if directory.is_dir() else []


def _holders(rt: Runtime, lock: HeldLock) -> list[LiveHolder]:
    """Live processes on this machine that may hold ``lock`` (popcornctl's workers and the process table)."""
    return live_holders(lock, stack_dirs=_stack_dirs(rt, lock.stack), state_dirs=[rt.settings.state_dir])


def _release_group(
    rt: Runtime,
    console: Console,
    group: list[HeldLock],
    *,
    min_age: timedelta,
    force: bool,
    yes: bool,
    via_terraform: bool,
    target: str,
    caller: str,
    before_delete: BeforeDelete | None,
    even_if_running: bool = False,
) -> int:
    first = group[0]
    json_out = rt.settings.output == "json"
    holders = _holders(rt, first)
    if holders and not even_if_running:
        pids = " ".join(str(h.pid) for h in holders)
        raise PopcornError(
            f"refusing to release lock {first.lock_id} on {first.stack}: its holder is still running on this "
            f"machine — {'; '.join(h.describe() for h in holders)}",
            f"let it finish, or stop it gracefully (kill -INT {pids}: Terraform then saves its state and releases "
            "the lock itself); --force does not override this, --even-if-running does",
        )
    young = [lock for lock in group if is_young(lock, min_age)]
    if young and not force:
        age = format_age(young[0].age)
        why = "its age is unknown" if young[0].age is None else f"it is {age} old"
        raise PopcornError(
            f"refusing to release lock {first.lock_id} on {first.stack}: {why}, younger than --older-than "
            f"{format_age(min_age)} (likely a live run by {first.holder})",
            "make sure no run is still going, then add --force (or wait)",
        )
    if not json_out or not yes:
        print_group(console, group)
    if not yes:
        if not _interactive():
            raise PopcornError(
                f"refusing to release lock {first.lock_id} on {first.stack}: no terminal to ask for confirmation",
                "re-run with --yes to confirm non-interactively",
            )
        places = " and ".join(lock.where for lock in group)
        if not _confirm(console, f"Release lock {first.lock_id} ({places}) on {first.stack}?"):
            console.print("not released")
            return 1
    tf_result: TfResult | None = None
    if via_terraform:
        from popcornctl.graph import discover

        directory = discover(rt.root).get(first.stack)
        if directory is None:
            raise PopcornError(
                f"--via-terraform needs the stack directory of {first.stack}, which is not in this repository",
                "release it without --via-terraform",
            )
        results, tf_result = release_via_terraform(
            rt.engine, directory, group, rt.clients, rt.config.backend, env=rt.stack_env(first.stack.replace("/", "-"))
        )
    else:
        # Terraform's own order: the S3 lockfile first, then the DynamoDB item.
        ordered = sorted(group, key=lambda lock: 0 if lock.where == "s3" else 1)
        results = [release(rt.clients, lock, before_delete=before_delete) for lock in ordered]
    return _report(rt, console, results, target=target, caller=caller, tf_result=tf_result)


def _report(
    rt: Runtime,
    console: Console,
    results: Sequence[ReleaseResult],
    *,
    target: str,
    caller: str,
    tf_result: TfResult | None = None,
) -> int:
    """Print what happened to each lock (read back), audit every release, return the exit code."""
    from rich.markup import escape

    state_dir = rt.settings.state_dir
    records: list[dict[str, Any]] = []
    tf_failed = tf_result is not None and not tf_result.ok
    tf_error = _first_error(tf_result.output) if tf_result is not None and tf_failed else None
    if tf_failed and any(r.outcome == "released" for r in results):
        console.print(
            f"[yellow]note[/yellow]: terraform force-unlock exited {tf_result.returncode if tf_result else '?'} "
            f"({escape(tf_error or '')}), but reading the lock places back shows what it released — the results "
            "below are what is there now",
            soft_wrap=True,
        )
    for result in results:
        lock = result.lock
        if result.outcome == "released":
            record = audit_record(result, released_by=caller, target=target)
            if tf_result is not None:
                record["terraform_exit_code"] = tf_result.returncode
                record["terraform_error"] = tf_error
            append_audit(state_dir, record)
            records.append(record)
            console.print(
                f"[green]released[/green] {escape(lock.location)} (lock {escape(lock.lock_id)}, held by "
                f"{escape(lock.holder)} for {format_age(lock.age)}) — confirmed gone",
                soft_wrap=True,
            )
            if result.now_held is not None:
                console.print(
                    f"[yellow]note[/yellow]: a new lock {escape(result.now_held.lock_id)} was taken since, by "
                    f"{escape(result.now_held.holder)}",
                    soft_wrap=True,
                )
        elif result.outcome == "already-gone":
            console.print(f"{escape(lock.location)}: already released by someone else — nothing deleted")
        elif result.outcome == "still-held":
            console.print(
                f"[red]not released[/red] {escape(lock.location)}: it still holds lock {escape(lock.lock_id)} after "
                "terraform force-unlock (read back)",
                soft_wrap=True,
            )
        else:
            now = result.now_held
            holder = f" (now lock {escape(now.lock_id)} held by {escape(now.holder)})" if now else ""
            console.print(
                f"[red]not released[/red] {escape(lock.location)}: the lock changed since it was shown{holder} "
                "— nothing deleted; run popcornctl unlock again to see the current lock",
                soft_wrap=True,
            )
    changed = any(r.outcome == "changed" for r in results)
    still = [r for r in results if r.outcome == "still-held"]
    if records:
        console.print(f"recorded in {audit_path(state_dir)} (released by {escape(caller)}, {local_user()})",
                      soft_wrap=True)
    if rt.settings.output == "json":
        print_json({
            "target": target,
            "results": [
                {"outcome": r.outcome, "method": r.method, "lock": r.lock.to_json(),
                 "now_held": r.now_held.to_json() if r.now_held else None}
                for r in results
            ],
            "audit": records,
            "audit_file": str(audit_path(state_dir)),
        })
    if still:
        raise PopcornError(
            f"terraform force-unlock did not release {', '.join(r.lock.location for r in still)}"
            + (f" ({tf_error})" if tf_error else ""),
            "the stack's backend does not lock there; release it without --via-terraform",
            detail=tf_result.output if tf_result is not None else None,
        )
    return 1 if changed else 0


def _first_error(output: str) -> str:
    import re

    match = re.search(r"^[│|\s]*Error: (.+)$", output, re.MULTILINE)
    if match:
        return match[1].strip()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
