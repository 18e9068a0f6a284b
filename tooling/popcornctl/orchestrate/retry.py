"""Known transient Terraform/AWS errors: THE one table, the backoff between attempts, and THE retry loop.

A failed Terraform command is retried only when its output matches an entry of :data:`TRANSIENT_ERRORS`
(and is neither a state-lock error nor a stale saved plan, which are never retried). Defaults: 3 attempts,
5 s then 10 s apart (``--retries`` / ``--retry-delay``). Every retry is recorded in the run report under
the stack that needed it, with the entry's name.

Sources: Terragrunt's default retryable errors (``internal/retry`` / ``options/auto_retry_options.go``)
plus what AWS users hit right after creating resources (IAM/S3 eventual consistency).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class TransientError:
    """One known transient error: a short name for the report, the pattern, and why it is transient."""

    name: str
    pattern: re.Pattern[str]
    why: str


def _t(name: str, pattern: str, why: str) -> TransientError:
    return TransientError(name, re.compile(pattern, re.IGNORECASE | re.DOTALL), why)


# THE table. Order matters only for which name is reported when several match.
TRANSIENT_ERRORS: tuple[TransientError, ...] = (
    _t(
        "throttling",
        r"\b(ThrottlingException|Throttling|ThrottledException|TooManyRequestsException|RequestLimitExceeded"
        r"|Rate exceeded|SlowDown|PriorRequestNotComplete)\b",
        "the AWS API rate-limited the call",
    ),
    _t(
        "no-such-bucket-after-create",
        r"NoSuchBucket: The specified bucket does not exist|api error NoSuchBucket",
        "S3 is eventually consistent right after a bucket is created",
    ),
    _t(
        "invalid-parameter-after-create",
        r"InvalidParameterValue(Exception)?\b.{0,200}?(cannot be assumed|does not exist|not authorized to perform"
        r"|not found|is not valid)",
        "a resource created a moment ago (often an IAM role) has not propagated yet",
    ),
    _t(
        "iam-not-propagated",
        r"(The role defined for the function cannot be assumed|Unable to assume role"
        r"|InvalidClientTokenId: The security token included in the request is invalid.{0,80}?just created)",
        "a new IAM role or key has not propagated yet",
    ),
    _t(
        "send-request-failed",
        r"RequestError: send request failed",
        "the HTTP request to AWS failed before an answer (network blip)",
    ),
    _t("tls-handshake-timeout", r"TLS handshake timeout", "the network was slow to set up TLS"),
    _t(
        "tcp-timeout-or-reset",
        r"(dial tcp|read tcp|write tcp).{0,200}?(i/o timeout|connection reset by peer|connection refused)"
        r"|Failed to load state.{0,200}?tcp.{0,80}?timeout",
        "a TCP connection timed out or was reset",
    ),
    _t(
        "client-timeout",
        r"Client\.Timeout exceeded while awaiting headers|context deadline exceeded \(Client\.Timeout",
        "AWS did not answer in time",
    ),
    _t(
        "alarm-update-in-progress",
        r"request to update this alarm is in progress",
        "CloudWatch is still applying a previous change to the alarm",
    ),
    _t("ssm-too-many-updates", r"TooManyUpdates", "SSM is still applying a previous change to the parameter"),
    _t(
        "conflicting-operation",
        r"OperationAborted: A conflicting conditional operation is currently in progress"
        r"|ConcurrentModificationException|OperationInProgressException",
        "another change to the same resource is still in flight",
    ),
    _t(
        "service-unavailable",
        r"\b(ServiceUnavailable(Exception)?|InternalError: We encountered an internal error"
        r"|StatusCode: 50[234]\b|503 Service Unavailable|InternalFailure)\b",
        "the AWS service answered with a temporary server error",
    ),
    _t(
        "provider-install-network",
        r"(Error installing provider|Failed to install provider|Could not download module)"
        r".{0,300}?(timeout|connection reset|429)",
        "downloading a provider or module hit a network error",
    ),
)

# Outputs that look transient but never are: retrying would hide them or make things worse.
NEVER_RETRY = re.compile(r"Error acquiring the state lock|Saved plan is stale", re.IGNORECASE)

DEFAULT_ATTEMPTS = 3
DEFAULT_DELAY = 5.0
MAX_DELAY = 60.0


def classify(output: str) -> TransientError | None:
    """The table entry ``output`` matches, or None when the failure is not a known transient error."""
    if NEVER_RETRY.search(output):
        return None
    for entry in TRANSIENT_ERRORS:
        if entry.pattern.search(output):
            return entry
    return None


def backoff(attempt: int, base: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): base, 2×base, 4×base… capped at 60 s."""
    return float(min(MAX_DELAY, base * (2 ** max(0, attempt - 1))))


class Attempt(Protocol):
    """What one attempt returns: whether it worked, and the output to classify when it did not."""

    @property
    def ok(self) -> bool:
        """True when the attempt worked."""
        ...

    @property
    def output(self) -> str:
        """The text a failure is classified by."""
        ...


R = TypeVar("R", bound=Attempt)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a step is tried and how long is waited between tries (``--retries``, ``--retry-delay``)."""

    attempts: int = DEFAULT_ATTEMPTS
    delay: float = DEFAULT_DELAY
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


# Told before each wait: (failed attempt, the transient error it hit, seconds about to be waited).
OnRetry = Callable[[int, TransientError, float], None]


def retry(
    attempt: Callable[[int], R],
    policy: RetryPolicy,
    *,
    on_retry: OnRetry,
    recover: Callable[[R], bool] | None = None,
) -> R:
    """Call ``attempt(n)`` for n = 1… until it works, fails for good, or the attempts are used up.

    A failure is retried only when :func:`classify` knows it as transient, after :func:`backoff`. ``recover``
    (asked before classifying, never on the last attempt) may repair a failure on the spot: True tries again
    at once, using up the attempt without a wait. Returns the last attempt's result, failed or not.
    """
    for number in range(1, policy.attempts + 1):
        result = attempt(number)
        if result.ok:
            return result
        last = number == policy.attempts
        if not last and recover is not None and recover(result):
            continue
        transient = classify(result.output)
        if transient is None or last:
            return result
        wait_s = backoff(number, policy.delay)
        on_retry(number, transient, wait_s)
        policy.sleep(wait_s)
    raise AssertionError("attempts must be 1 or more")
