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
from dataclasses import dataclass, field
from pathlib import Path

from popcornctl.common.tomlfile import read_toml
from popcornctl.config import Where, parse, spec
from popcornctl.errors import PopcornError
from popcornctl.policy.api import PolicyStatus
from popcornctl.policy.results import Result, WaiverState


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


def _filled(value: str) -> str | None:
    return None if value.strip() else "is empty"


@dataclass(frozen=True)
class WaiverEntry:
    """One ``[[waiver]]`` table as written: every key required, nothing else allowed."""

    id: str = field(metadata=spec(example='id = "POP-RDS-003"', check=_filled))
    address: str = field(metadata=spec(example='address = "module.rds.aws_db_instance.this"', check=_filled))
    reason: str = field(
        metadata=spec(example='reason = "why the finding is acceptable, and until when"', check=_filled),
    )
    expires: dt.date = field(metadata=spec(example="expires = 2026-12-31"))
    approved_by: str = field(metadata=spec(example='approved_by = "platform-lead@example.com"', check=_filled))


@dataclass(frozen=True)
class WaiversFile:
    """The whole file: ``[[waiver]]`` tables only."""

    waiver: list[WaiverEntry] = field(default_factory=list, metadata=spec(example="one [[waiver]] table per exception"))


def load_waivers(path: Path, *, required: bool = False, label: str | None = None) -> list[Waiver]:
    """The waivers in ``path``; a missing file is no waivers unless ``required`` (given with --waivers)."""
    if not path.is_file():
        if required:
            raise PopcornError(f"waivers file {path} does not exist", "check the --waivers path")
        return []
    document = parse(WaiversFile, read_toml(path), Where(str(path)))
    return [
        Waiver(
            id=entry.id.strip(),
            address=entry.address.strip(),
            reason=entry.reason.strip(),
            expires=entry.expires,
            approved_by=entry.approved_by.strip(),
            entry=number,
            source=label or str(path),
        )
        for number, entry in enumerate(document.waiver, start=1)
    ]


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
                    status=PolicyStatus.EXPIRED,
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
            result.status = PolicyStatus.WAIVED
            result.waiver = info
    return results + extra, states, warnings
