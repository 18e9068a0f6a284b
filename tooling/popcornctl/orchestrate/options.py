"""What a run was asked to do: :class:`RunOptions` (the CLI flags of ``up``/``plan``/``down``, resolved)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.orchestrate.retry import DEFAULT_ATTEMPTS, DEFAULT_DELAY, RetryPolicy


@dataclass
class RunOptions:
    """Everything a run was asked to do (the CLI flags, resolved)."""

    command: str  # up | plan | down
    env: str
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    include_global: bool = False
    include_bootstrap: bool = False
    parallelism: int | None = None
    fail_fast: bool = False
    auto_approve: bool = False
    allow_destroy: bool = False
    skip_policy: bool = False
    skip_reason: str | None = None
    fail_on: str = "high"
    checkov: bool = True
    attempts: int = DEFAULT_ATTEMPTS
    retry_delay: float = DEFAULT_DELAY
    out_dir: Path | None = None
    report_file: Path | None = None
    lock: bool = True  # False: plans take no state lock (drift's read-only plans never block an apply)

    def retry_policy(self, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
        """``--retries`` and ``--retry-delay`` as the retry loop takes them."""
        return RetryPolicy(attempts=self.attempts, delay=self.retry_delay, sleep=sleep)

    def as_dict(self) -> dict[str, Any]:
        """The report's ``options``."""
        return {
            "only": list(self.only),
            "exclude": list(self.exclude),
            "targets": list(self.targets),
            "include_global": self.include_global,
            "include_bootstrap": self.include_bootstrap,
            "parallelism": self.parallelism,
            "fail_fast": self.fail_fast,
            "auto_approve": self.auto_approve,
            "allow_destroy": self.allow_destroy,
            "skip_policy": self.skip_policy,
            "skip_policy_reason": self.skip_reason,
            "fail_on": self.fail_on,
            "checkov": self.checkov,
            "attempts": self.attempts,
            "retry_delay": self.retry_delay,
            "out_dir": str(self.out_dir) if self.out_dir else None,
        }
