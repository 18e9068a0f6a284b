"""Checkov, offline, on the same plan (or directory), merged into our report with our own severities.

Checkov runs as a child process (``python -m checkov.main``, or the ``checkov`` program when the module
is not importable) with ``--skip-download``, ``BC_SKIP_MAPPING=TRUE`` and
``CKV_SKIP_PACKAGE_UPDATE_CHECK=true``: nothing leaves the machine, and severities come back null.
:func:`start_plan_scan` starts it and returns at once, so the caller runs our evaluator meanwhile.

Severities come from ``policies/checkov.toml`` (repository-owned): ``[CKV_AWS_17] severity = "critical"``,
optionally ``equivalent = "POP-RDS-002"``. A Checkov failure on an address that the equivalent policy of
ours evaluated is folded into our finding (listed under ``also_reported_by``) — or, when our plan-aware
policy passed or found the value unknown until apply, recorded as superseded instead of reported twice
or as a false positive. Checkov ids missing from the table are ``unrated`` and never block.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popcornctl.common.process import start_group
from popcornctl.common.severity import RATED_SEVERITIES
from popcornctl.common.tomlfile import read_toml
from popcornctl.config import Where, parse, spec
from popcornctl.errors import PopcornError

OFFLINE_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "WARNING"}
TIMEOUT_SECONDS = 900.0


_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
_POLICY_ID = re.compile(r"^POP-[A-Z0-9]+-\d{3}$")


def _severity(value: str) -> str | None:
    return None if value in RATED_SEVERITIES else f"is not one of {', '.join(RATED_SEVERITIES)}"


def _policy_id(value: str) -> str | None:
    return None if _POLICY_ID.match(value) else "is not a policy id of ours (POP-AREA-NNN)"


def _note(value: str) -> str | None:
    return None if value.strip() else "is empty"


@dataclass(frozen=True)
class Rating:
    """Our severity for one Checkov check, and the policy of ours that covers the same ground.

    One ``[CKV_...]`` table of ``policies/checkov.toml``; its keys are these fields.
    """

    severity: str = field(metadata=spec(example='severity = "high"', check=_severity))
    equivalent: str | None = field(default=None, metadata=spec(example='equivalent = "POP-RDS-002"', check=_policy_id))
    note: str | None = field(default=None, metadata=spec(example='note = "why this rating"', check=_note))


@dataclass(frozen=True)
class CheckovFinding:
    """One failed Checkov check."""

    check_id: str
    name: str
    address: str
    file: str | None
    line: int | None
    guideline: str | None


@dataclass
class CheckovOutcome:
    """What one Checkov run reported."""

    version: str | None
    findings: list[CheckovFinding]


def load_ratings(path: Path) -> dict[str, Rating]:
    """The severity table (``{}`` when the file does not exist); a typo is one line naming the table and key."""
    if not path.is_file():
        return {}
    data = read_toml(path)
    table: dict[str, Rating] = {}
    for check_id, entry in data.items():
        if not _CHECK_ID.match(check_id):
            raise PopcornError(
                f"{path}: [{check_id}] is not a Checkov check id", "name each table after its check, e.g. [CKV_AWS_17]"
            )
        if not isinstance(entry, dict):
            raise PopcornError(f"{path}: {check_id} must be a table", f'write [{check_id}] then severity = "high"')
        table[check_id] = parse(Rating, entry, Where(str(path), f"[{check_id}]"))
    return table


def checkov_command() -> list[str]:
    """How to start Checkov here; a one-line error when it is not installed."""
    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    program = shutil.which("checkov")
    if program:
        return [program]
    raise PopcornError(
        "Checkov is not installed", "pip install checkov, or pass --no-checkov to run our policies alone"
    )


class CheckovJob:
    """A running Checkov process group (:mod:`popcornctl.common.process`); :meth:`wait` collects and parses its JSON.

    Checkov starts workers of its own: stopping it stops its whole process group, so nothing is left behind.
    """

    def __init__(self, args: list[str], label: str, cwd: Path | None = None) -> None:
        self.label = label
        self.argv = [*checkov_command(), *args]
        env = {**os.environ, **OFFLINE_ENV}
        self.proc = start_group(self.argv, cwd=cwd, env=env)

    def wait(self, timeout: float = TIMEOUT_SECONDS) -> CheckovOutcome:
        """Wait for Checkov; its failures as findings, or a one-line error when it did not work."""
        code = self.proc.wait(timeout)
        if code is None:
            self.proc.kill()
            raise PopcornError(
                f"Checkov did not finish within {timeout:.0f}s on {self.label}", "rerun, or pass --no-checkov"
            )
        self.proc.send_signal(signal.SIGKILL)  # anything Checkov left running in its group
        out, err = self.proc.output()
        if code not in (0, 1):
            tail = (err or out).strip().splitlines()
            raise PopcornError(
                f"Checkov failed on {self.label} (exit {code}): {tail[-1] if tail else 'no output'}",
                "run with --no-checkov to use our policies alone, or fix Checkov's installation",
                detail=(err or "")[-4000:] or None,
            )
        return parse_output(out, self.label)

    def cancel(self) -> None:
        """Stop the process group (when the run fails before it is collected)."""
        self.proc.kill()


def start_plan_scan(plan_path: Path, root: Path | None) -> CheckovJob:
    """Start Checkov on a plan JSON file (``--framework terraform_plan``)."""
    args = ["-f", str(plan_path), "--framework", "terraform_plan"]
    if root is not None and root.is_dir():
        args += ["--repo-root-for-plan-enrichment", str(root)]
    args += ["-o", "json", "--skip-download", "--quiet", "--compact"]
    return CheckovJob(args, str(plan_path))


def start_dir_scan(directory: Path) -> CheckovJob:
    """Start Checkov on Terraform configuration (``--framework terraform``)."""
    args = ["-d", str(directory), "--framework", "terraform", "-o", "json", "--skip-download", "--quiet", "--compact"]
    return CheckovJob(args, str(directory))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def parse_output(stdout: str, label: str) -> CheckovOutcome:
    """Checkov's ``-o json``: one report object, a list of them, or the bare summary when nothing ran."""
    text = stdout.strip()
    if not text:
        return CheckovOutcome(version=None, findings=[])
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        try:
            data = json.loads(text[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            data = None
        if data is None:
            raise PopcornError(
                f"Checkov printed no JSON for {label}",
                "run with --no-checkov, or check Checkov's installation",
                detail=text[-2000:],
            ) from None
    docs = data if isinstance(data, list) else [data]
    version: str | None = None
    findings: list[CheckovFinding] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        summary: dict[str, Any] = doc["summary"] if isinstance(doc.get("summary"), dict) else doc
        version = version or summary.get("checkov_version")
        for item in (doc.get("results") or {}).get("failed_checks") or []:
            rng = item.get("file_line_range") or []
            file_path = item.get("file_path")
            findings.append(
                CheckovFinding(
                    check_id=str(item.get("check_id")),
                    name=str(item.get("check_name") or item.get("check_id")),
                    address=str(item.get("resource_address") or item.get("resource") or "?"),
                    file=str(file_path) if file_path else None,
                    line=_int(rng[0]) if rng else None,
                    guideline=item.get("guideline"),
                )
            )
    return CheckovOutcome(version=version, findings=findings)
