"""The table of transient errors and the one retry loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from popcornctl.orchestrate.retry import TRANSIENT_ERRORS, RetryPolicy, backoff, classify, retry

SAMPLES = {
    "throttling": "Error: creating IAM Role: ThrottlingException: Rate exceeded",
    "no-such-bucket-after-create": "Error: putting S3 policy: NoSuchBucket: The specified bucket does not exist",
    "invalid-parameter-after-create": "InvalidParameterValueException: The role defined for the task cannot be assumed",
    "iam-not-propagated": "Error: Unable to assume role arn:aws:iam::1:role/x",
    "send-request-failed": "RequestError: send request failed\ncaused by: Post https://sts",
    "tls-handshake-timeout": "Error: Failed to load backend: net/http: TLS handshake timeout",
    "tcp-timeout-or-reset": "dial tcp 52.1.1.1:443: i/o timeout",
    "client-timeout": "(Client.Timeout exceeded while awaiting headers)",
    "alarm-update-in-progress": "Creating metric alarm failed: request to update this alarm is in progress",
    "ssm-too-many-updates": "Error creating SSM parameter: TooManyUpdates: too many updates",
    "conflicting-operation": "OperationAborted: A conflicting conditional operation is currently in progress",
    "service-unavailable": "api error ServiceUnavailable: Service Unavailable",
    "provider-install-network": 'Error installing provider "aws": the request returned 429 after timeout',
}


def test_every_transient_entry_has_a_sample_that_matches_it() -> None:
    assert {e.name for e in TRANSIENT_ERRORS} == set(SAMPLES)
    for name, text in SAMPLES.items():
        found = classify(text)
        assert found is not None and found.name == name, (name, found)


def test_real_errors_locks_and_stale_plans_are_not_transient() -> None:
    assert classify("Error: Invalid reference: A reference to a resource type must be followed by") is None
    assert classify("Error: creating RDS DB Instance: InvalidParameterCombination: oops") is None
    assert classify("Error acquiring the state lock\nStatusCode: 503 ServiceUnavailable") is None
    assert classify("Error: Saved plan is stale\nThrottlingException") is None
    assert [backoff(n, 5) for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(10, 5) == 60


@dataclass
class _Result:
    ok: bool
    output: str = ""


def _attempts(*results: _Result) -> tuple[list[int], Callable[[int], _Result]]:
    calls: list[int] = []
    queue = list(results)

    def attempt(number: int) -> _Result:
        calls.append(number)
        return queue.pop(0)

    return calls, attempt


def test_the_retry_loop_retries_only_transient_failures_with_backoff() -> None:
    waits: list[float] = []
    told: list[tuple[int, str, float]] = []
    policy = RetryPolicy(attempts=3, delay=5.0, sleep=waits.append)
    calls, attempt = _attempts(
        _Result(False, SAMPLES["throttling"]), _Result(False, SAMPLES["client-timeout"]), _Result(True)
    )
    result = retry(attempt, policy, on_retry=lambda n, t, w: told.append((n, t.name, w)))
    assert result.ok and calls == [1, 2, 3]
    assert waits == [5.0, 10.0]
    assert told == [(1, "throttling", 5.0), (2, "client-timeout", 10.0)]
    calls, attempt = _attempts(_Result(False, "Error: Invalid reference"), _Result(True))
    assert not retry(attempt, policy, on_retry=lambda *a: None).ok  # a real error is returned at once
    assert calls == [1]


def test_the_retry_loop_gives_up_after_the_attempts_and_recovers_without_waiting() -> None:
    waits: list[float] = []
    policy = RetryPolicy(attempts=2, delay=1.0, sleep=waits.append)
    calls, attempt = _attempts(*[_Result(False, SAMPLES["throttling"])] * 3)
    result = retry(attempt, policy, on_retry=lambda *a: None)
    assert not result.ok and calls == [1, 2] and waits == [1.0]
    # recover: repaired on the spot, the next attempt runs at once; never asked on the last attempt
    asked: list[str] = []
    calls, attempt = _attempts(_Result(False, "Error acquiring the state lock"), _Result(False, "lock again"))
    waits.clear()

    def recover(result: _Result) -> bool:
        asked.append(result.output)
        return True

    result = retry(attempt, policy, on_retry=lambda *a: None, recover=recover)
    assert not result.ok and calls == [1, 2] and waits == [] and asked == ["Error acquiring the state lock"]
