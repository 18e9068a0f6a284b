"""Known transient Terraform/AWS errors: THE one table, and the backoff between attempts.

A failed Terraform command is retried only when its output matches an entry of :data:`TRANSIENT_ERRORS`
(and is neither a state-lock error nor a stale saved plan, which are never retried). Defaults: 3 attempts,
5 s then 10 s apart (``--retries`` / ``--retry-delay``). Every retry is recorded in the run report under
the stack that needed it, with the entry's name.

Sources: Terragrunt's default retryable errors (``internal/retry`` / ``options/auto_retry_options.go``)
plus what AWS users hit right after creating resources (IAM/S3 eventual consistency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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
