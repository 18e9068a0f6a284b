"""The emulator's request guard: one request per moto backend at a time, different backends at once."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from popcornctl.sandbox import emulator
from popcornctl.sandbox.emulator import guarded, operation_of, services_touched

HOLD = 0.15  # seconds the probe app spends inside "moto" per request


def _signed(service: str, region: str = "ap-northeast-2", **extra: Any) -> dict[str, Any]:
    auth = (
        f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    return {"HTTP_AUTHORIZATION": auth, "REQUEST_METHOD": "POST", "PATH_INFO": "/", **extra}


class _Probe:
    """A WSGI app that records, per service, how many requests were inside it at once, and which overlapped."""

    def __init__(self) -> None:
        self.inside: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.overlapped: set[frozenset[str]] = set()
        self.unmet: set[str] = set()
        self.guard = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        name = environ["probe.name"]
        with self.guard:
            self.inside[name] = self.inside.get(name, 0) + 1
            self.most[name] = max(self.most.get(name, 0), self.inside[name])
            for other, count in self.inside.items():
                if other != name and count:
                    self.overlapped.add(frozenset({name, other}))
        meet: threading.Barrier | None = environ.get("probe.meet")
        if meet is not None:  # every request sharing it must be inside at once, or the barrier breaks
            try:
                meet.wait(timeout=10)
            except threading.BrokenBarrierError:
                with self.guard:
                    self.unmet.add(name)
        else:
            time.sleep(HOLD)
        with self.guard:
            self.inside[name] -= 1
        start_response("200 OK", [])
        return [b"ok"]


def _run(app: Any, environs: list[dict[str, Any]]) -> None:
    """Send every environ at once through ``app`` and wait for all of them."""
    threads = [threading.Thread(target=app, args=(env, lambda *a: None)) for env in environs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_requests_to_one_backend_never_overlap_while_different_backends_do() -> None:
    probe = _Probe()
    app = guarded(probe, mode="service")
    meet = threading.Barrier(3)
    together = [
        _signed("ec2", **{"probe.name": "ec2", "probe.meet": meet, "QUERY_STRING": "Action=DescribeVpcs"}),
        _signed("xray", **{"probe.name": "xray", "probe.meet": meet}),
        _signed("acm", **{"probe.name": "acm", "probe.meet": meet, "HTTP_X_AMZ_TARGET": "CertificateManager.X"}),
    ]
    _run(app, together)
    assert probe.unmet == set(), "requests to different backends were not inside moto at the same time"
    same = [_signed("ec2", **{"probe.name": "ec2", "QUERY_STRING": "Action=CreateTags"}) for _ in range(4)]
    _run(app, [*same, _signed("xray", **{"probe.name": "xray"})])
    assert probe.most["ec2"] == 1, "two requests to the EC2 backend were inside moto at once"


def test_a_request_that_reads_another_backend_never_overlaps_that_backends_requests() -> None:
    """ECS reads EC2's subnets and security groups, RDS reads EC2 and KMS: they wait for those backends."""
    probe = _Probe()
    app = guarded(probe, mode="service")
    requests = [
        _signed("ec2", **{"probe.name": "ec2", "QUERY_STRING": "Action=DescribeSubnets"}),
        _signed("ecs", **{"probe.name": "ecs", "HTTP_X_AMZ_TARGET": "AmazonEC2ContainerServiceV20141113.X"}),
        _signed("rds", **{"probe.name": "rds", "QUERY_STRING": "Action=CreateDBInstance"}),
        _signed("kms", **{"probe.name": "kms", "HTTP_X_AMZ_TARGET": "TrentService.CreateKey"}),
    ] * 2
    _run(app, requests)
    assert frozenset({"ecs", "ec2"}) not in probe.overlapped
    assert frozenset({"rds", "ec2"}) not in probe.overlapped
    assert frozenset({"rds", "kms"}) not in probe.overlapped
    meet = threading.Barrier(2)
    _run(
        app,
        [
            _signed("ecs", **{"probe.name": "ecs", "probe.meet": meet}),
            _signed("kms", **{"probe.name": "kms", "probe.meet": meet}),
        ],
    )
    assert probe.unmet == set(), "ECS and KMS share no backend: they must run together"


def test_an_unsigned_request_and_the_reset_run_alone() -> None:
    probe = _Probe()
    app = guarded(probe, mode="service")
    reset = {"REQUEST_METHOD": "POST", "PATH_INFO": "/moto-api/reset", "probe.name": "reset"}
    requests = [
        _signed("ec2", **{"probe.name": "ec2"}),
        _signed("xray", **{"probe.name": "xray"}),
        reset,
        _signed("sts", **{"probe.name": "sts"}),
        _signed("tagging", **{"probe.name": "tagging"}),
    ]
    _run(app, requests)
    assert not any("reset" in pair or "tagging" in pair for pair in probe.overlapped)


def test_serial_mode_handles_one_request_at_a_time_whatever_the_service() -> None:
    probe = _Probe()
    app = guarded(probe, mode="serial")
    _run(app, [_signed(s, **{"probe.name": s}) for s in ("ec2", "xray", "acm", "sts")])
    assert probe.overlapped == set()


def test_an_unknown_mode_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="POPCORN_SANDBOX_CONCURRENCY to one of serial, service"):
        guarded(_Probe(), mode="parallel")


def test_the_emulator_handles_one_request_at_a_time_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    from popcornctl.sandbox.emulator import CONCURRENCY_ENV, Emulator

    monkeypatch.delenv(CONCURRENCY_ENV, raising=False)
    assert Emulator().mode == "serial"
    monkeypatch.setenv(CONCURRENCY_ENV, "service")
    assert Emulator().mode == "service"


def test_the_operation_is_read_from_target_form_body_or_rest_path() -> None:
    assert operation_of({"HTTP_X_AMZ_TARGET": "AmazonEC2ContainerServiceV20141113.CreateService"}, "ecs") == (
        "CreateService"
    )
    body = b"Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16"
    env = {
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    assert operation_of(env, "ec2") == "CreateVpc"
    assert env["wsgi.input"].read() == body, "moto must still read the whole body"
    s3 = {"REQUEST_METHOD": "PUT", "PATH_INFO": "/popcorn-tfstate-123/", "QUERY_STRING": "lifecycle"}
    assert operation_of(s3, "s3") == "PUT /{bucket}?lifecycle"
    r53 = {"REQUEST_METHOD": "GET", "PATH_INFO": "/2013-04-01/hostedzone/Z0123ABC/rrset", "QUERY_STRING": ""}
    assert operation_of(r53, "route53") == "GET /2013-04-01/hostedzone/{id}/rrset"


def test_ec2_operations_that_reach_other_backends_lock_them() -> None:
    assert services_touched("ec2", "DescribeVpcs") == {"ec2"}
    assert services_touched("ec2", "RunInstances") == {"ec2", "iam", "kms"}
    assert services_touched("ec2", "CreateVpcEndpointServiceConfiguration") == {"ec2", "elasticloadbalancing"}
    assert services_touched(None, "") is None


# moto module names that differ from the SigV4 signing name the guard keys on.
_SIGNING = {
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "cloudwatch": "monitoring",
    "applicationautoscaling": "application-autoscaling",
    "awslambda": "lambda",
    "stepfunctions": "states",
    "s3control": "s3",
    "resourcegroupstaggingapi": "tagging",
    "autoscaling": "autoscaling",
}


def test_every_cross_backend_reference_in_moto_is_locked() -> None:
    """Each moto service this guard knows, read from moto's own source: the backends it imports are locked with it."""
    import moto

    root = Path(moto.__file__).parent
    reference = re.compile(
        r"from moto\.(\w+)(?:\.models)? import (?:\w+_)?backends?\b|"
        r"from moto\.(\w+)(?:\.models)? import (\w+)_backends"
    )
    for module in [*emulator.READS_ALSO, "ec2"]:
        folder = {v: k for k, v in _SIGNING.items() if k not in ("elb", "s3control")}.get(module, module)
        if not (root / folder).is_dir():
            continue
        reached: set[str] = set()
        for source in (root / folder).rglob("*.py"):
            for m in reference.finditer(source.read_text(encoding="utf-8")):
                other = m.group(1) or m.group(2)
                if other not in (folder, "core", "utilities", "moto_api", "settings", "backends"):
                    reached.add(_SIGNING.get(other, other))
            # moto.backends.get_backend("kms"): a lookup by name
            text = source.read_text(encoding="utf-8")
            reached.update(_SIGNING.get(n, n) for n in re.findall(r'get_backend\(\s*"(\w+)"', text))
        if module == "ec2":
            locked = set().union(*emulator.EC2_READS_ALSO.values(), {"elasticloadbalancing"})
        else:
            locked = set(emulator.READS_ALSO[module])
        missing = reached - locked - {module}
        assert not missing, f"moto's {folder} reads {sorted(missing)}: add them to READS_ALSO[{module!r}]"


def test_every_backend_an_extension_reads_is_locked_with_its_service() -> None:
    """The sandbox's extensions reach other backends too (a strict rule reads the load balancers): each such read,
    found in the extension's source, is locked with the service the extension serves."""
    import popcornctl.sandbox.extensions as extensions

    reference = re.compile(r"from moto\.(\w+)\.models import (\w+)_backends")
    root = Path(extensions.__file__).parent
    for source in root.rglob("*.py"):
        service = source.relative_to(root).parts[0].removesuffix(".py")
        served = _SIGNING.get(service, service)
        for m in reference.finditer(source.read_text(encoding="utf-8")):
            other = _SIGNING.get(m.group(1), m.group(1))
            if other != served:
                assert other in emulator.READS_ALSO.get(served, frozenset()), (
                    f"extensions/{source.relative_to(root)} reads moto's {m.group(1)}: add it to READS_ALSO[{served!r}]"
                )


def test_each_request_is_timed_into_the_timings_file(tmp_path: Path) -> None:
    out = tmp_path / "timings.jsonl"
    app = guarded(_Probe(), mode="service", timings=str(out))
    _run(
        app,
        [
            _signed("xray", **{"probe.name": "xray", "REQUEST_METHOD": "POST", "PATH_INFO": "/SamplingRules"}),
            _signed("xray", **{"probe.name": "xray", "REQUEST_METHOD": "POST", "PATH_INFO": "/SamplingRules"}),
        ],
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["service"], r["operation"], r["status"]) for r in rows] == [("xray", "POST /SamplingRules", "200")] * 2
    assert all(r["busy"] >= HOLD for r in rows), "the time inside moto is recorded"


class _Counter:
    """A WSGI app that creates something once per call, and answers with the call's number."""

    def __init__(self, code: str = "200 OK") -> None:
        self.calls = 0
        self.code = code

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.calls += 1
        start_response(self.code, [("x-amzn-RequestId", f"r{self.calls}")])
        return [f"created {self.calls}".encode()]


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    answer: list[Any] = []
    body = b"".join(app(environ, lambda code, headers, exc=None: answer.extend([code, headers])))
    return answer[0], answer[1], body


def test_a_retry_of_a_call_that_succeeded_gets_the_same_answer_without_running_twice() -> None:
    counter = _Counter()
    app = guarded(counter, mode="service")
    first = _call(app, _signed("iam", HTTP_AMZ_SDK_INVOCATION_ID="inv-1", HTTP_AMZ_SDK_REQUEST="attempt=1; max=25"))
    retry = _call(app, _signed("iam", HTTP_AMZ_SDK_INVOCATION_ID="inv-1", HTTP_AMZ_SDK_REQUEST="attempt=2; max=25"))
    assert retry == first and counter.calls == 1
    # Another call (a new invocation id, or none) runs, even with the same body.
    other = _call(app, _signed("iam", HTTP_AMZ_SDK_INVOCATION_ID="inv-2", HTTP_AMZ_SDK_REQUEST="attempt=1; max=25"))
    assert other[2] == b"created 2"
    _call(app, _signed("iam", HTTP_AMZ_SDK_REQUEST="attempt=2; max=25"))
    assert counter.calls == 3


@pytest.mark.parametrize("code", ["500 Internal Server Error", "400 Bad Request"])
def test_a_retry_of_a_call_that_failed_runs_again(code: str) -> None:
    counter = _Counter(code)
    app = guarded(counter, mode="service")
    for attempt in (1, 2):
        env = _signed("iam", HTTP_AMZ_SDK_INVOCATION_ID="inv-1", HTTP_AMZ_SDK_REQUEST=f"attempt={attempt}; max=25")
        assert _call(app, env)[2] == f"created {attempt}".encode()
    assert counter.calls == 2
