"""Waivers: ``policies/waivers.toml``, reviewed exceptions with an owner and an end date.

Each ``[[waiver]]`` names a policy id (ours, e.g. ``POP-RDS-003``, or Checkov's, e.g. ``CKV_AWS_157``),
a resource ``address`` glob, a ``reason``, an ``expires`` date and who ``approved_by``::

    [[waiver]]
    id = "POP-COST-002"
    address = "module.vpc.aws_nat_gateway.this*"
    reason = "dev needs a second NAT while the AZ migration runs"
    expires = 2026-12-31
    approved_by = "platform-lead@example.com"

In the glob only ``*`` (any characters, dots included) and ``?`` (one character) are special; brackets
and quotes of ``for_each`` keys match themselves. A glob may also be stack-qualified (``envs/dev::...``).

A current waiver turns the findings it matches into ``waived`` (shown, never blocking). An expired waiver
waives nothing and is itself a blocking finding until it is renewed or removed. A waiver that matches
nothing is reported as a warning, so stale entries do not pile up.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.errors import PopcornError
from popcornctl.policy.report import Result, WaiverState

REQUIRED = ("id", "address", "reason", "expires", "approved_by")


@dataclass(frozen=True)
class Waiver:
    """One entry of the waivers file."""

    id: str
    address: str
    reason: str
    expires: dt.date
    approved_by: str
    entry: int  # 1-based position in the file
    source: str = "policies/waivers.toml"  # the file, as shown in messages

    def matches(self, result: Result) -> bool:
        """True when this waiver names the finding's policy (or a Checkov id folded into it) and address."""
        if self.id != result.id and self.id not in result.also_reported_by:
            return False
        pattern = _glob(self.address)
        return bool(pattern.fullmatch(result.address) or pattern.fullmatch(result.qualified_address))


def _glob(text: str) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text]
    return re.compile("".join(parts), re.DOTALL)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PopcornError(f"{where}: expires = {value!r} is not a date", "write it as expires = 2026-12-31")


def load_waivers(path: Path, *, required: bool = False, label: str | None = None) -> list[Waiver]:
    """The waivers in ``path``; a missing file is no waivers unless ``required`` (given with --waivers)."""
    if not path.is_file():
        if required:
            raise PopcornError(f"waivers file {path} does not exist", "check the --waivers path")
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PopcornError(f"{path} is not valid TOML ({exc})", "fix the syntax error it names") from None
    entries = data.get("waiver", [])
    unknown_keys = sorted(set(data) - {"waiver"})
    if unknown_keys or not isinstance(entries, list):
        raise PopcornError(
            f"{path}: unexpected table {unknown_keys[0] if unknown_keys else 'waiver'!r}",
            "write each waiver as a [[waiver]] table",
        )
    waivers: list[Waiver] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path} waiver #{number}"
        missing = [key for key in REQUIRED if not entry.get(key) and entry.get(key) != 0]
        if missing:
            raise PopcornError(f"{where} has no {missing[0]}", f"every waiver needs {', '.join(REQUIRED)}")
        extra = sorted(set(entry) - set(REQUIRED))
        if extra:
            raise PopcornError(f"{where}: unknown key {extra[0]!r}", f"a waiver has exactly {', '.join(REQUIRED)}")
        for key in ("id", "address", "reason", "approved_by"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise PopcornError(f"{where}: {key} must be a non-empty string", "quote it")
        waivers.append(
            Waiver(
                id=entry["id"].strip(),
                address=entry["address"].strip(),
                reason=entry["reason"].strip(),
                expires=_date(entry["expires"], where),
                approved_by=entry["approved_by"].strip(),
                entry=number,
                source=label or str(path),
            )
        )
    return waivers


def apply_waivers(
    results: list[Result], waivers: list[Waiver], today: dt.date
) -> tuple[list[Result], list[WaiverState], list[str]]:
    """Mark waived findings; add a blocking finding per expired waiver; warn about unmatched ones."""
    states: list[WaiverState] = []
    warnings: list[str] = []
    extra: list[Result] = []
    for waiver in waivers:
        source = waiver.source
        expired = waiver.expires < today
        matched = [r for r in results if r.status in ("fail", "waived") and waiver.matches(r)]
        state = "expired" if expired else ("active" if matched else "unmatched")
        states.append(
            WaiverState(
                id=waiver.id,
                address=waiver.address,
                reason=waiver.reason,
                expires=waiver.expires,
                approved_by=waiver.approved_by,
                state=state,
                matched=len(matched),
            )
        )
        info = {
            "reason": waiver.reason,
            "expires": waiver.expires.isoformat(),
            "approved_by": waiver.approved_by,
            "entry": waiver.entry,
            "file": waiver.source,
            "expired": expired,
        }
        if expired:
            extra.append(
                Result(
                    id=waiver.id,
                    title="Waiver expired",
                    severity="high",
                    status="expired",
                    address=waiver.address,
                    message=(
                        f"waiver #{waiver.entry} for {waiver.id} on {waiver.address} expired on "
                        f"{waiver.expires.isoformat()} (approved by {waiver.approved_by}: {waiver.reason}); "
                        f"it matched {len(matched)} finding(s), which now count again"
                    ),
                    source="waivers",
                    file=source,
                    remediation="Fix the finding, or renew the waiver with a new expires date and approval.",
                    waiver=info,
                )
            )
            for result in matched:
                if result.status == "fail" and result.waiver is None:
                    result.waiver = info
            continue
        if not matched:
            warnings.append(
                f"waiver #{waiver.entry} ({waiver.id} on {waiver.address}) matches no finding: remove it from {source}"
            )
            continue
        for result in matched:
            result.status = "waived"
            result.waiver = info
    return results + extra, states, warnings
