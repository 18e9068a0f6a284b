"""bench/sandbox_up.py's reading of a run: which stacks set the wall time, and what the provider's waits looked like."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sandbox_up", REPO / "bench" / "sandbox_up.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


OUTPUT = """\
popcornctl up dev: sandbox at 127.0.0.1:1 (region ap-northeast-2) — stacks: bootstrap, global/a, global/b, envs/dev
   3.7s  bootstrap: init
  17.2s  bootstrap: apply  +9 ~0 -0
  77.1s  bootstrap: migrate state
  78.7s  bootstrap: done  9 to add, 0 to change, 0 to destroy
plan: 9 to add, 0 to change, 0 to destroy
  78.7s  global/a: init
  78.8s  global/b: init
 121.4s  global/a: done  18 to add, 0 to change, 0 to destroy
 167.7s  global/b: done  18 to add, 0 to change, 0 to destroy
 167.8s  envs/dev: init
 292.4s  envs/dev: done  262 to add, 0 to change, 0 to destroy
"""


def test_spans_read_each_stack_from_its_first_event_to_done_across_adjacent_lines(bench: ModuleType) -> None:
    assert bench.spans(OUTPUT) == {
        "bootstrap": (3.7, 78.7),
        "global/a": (78.7, 121.4),
        "global/b": (78.8, 167.7),
        "envs/dev": (167.8, 292.4),
    }


def test_a_stack_that_never_finished_has_no_span(bench: ModuleType) -> None:
    assert bench.spans("   1.0s  bootstrap: init\n   2.0s  bootstrap: plan\n") == {}


def test_critical_path_follows_the_dependency_that_finished_last(bench: ModuleType) -> None:
    depends_on = {
        "bootstrap": set(),
        "global/a": {"bootstrap"},
        "global/b": {"bootstrap"},
        "envs/dev": {"bootstrap", "global/a", "global/b"},
        "envs/prod": {"bootstrap", "global/a", "global/b"},  # in the graph, not in this run
    }
    spans = bench.spans(OUTPUT)
    assert bench.critical_path(spans, depends_on) == ["bootstrap", "global/b", "envs/dev"]
    spans["global/a"] = (78.7, 170.0)
    assert bench.critical_path(spans, depends_on) == ["bootstrap", "global/a", "envs/dev"]
    assert bench.critical_path({}, depends_on) == []


def test_the_repository_graph_is_what_the_critical_path_walks(bench: ModuleType) -> None:
    depends_on = bench.stack_dependencies()
    assert {"bootstrap", "envs/dev"} <= set(depends_on)
    assert "bootstrap" in depends_on["envs/dev"] and depends_on["bootstrap"] == set()


def _request(at: float, service: str, operation: str, status: str = "200", busy: float = 0.004) -> dict[str, object]:
    return {"at": at, "service": service, "operation": operation, "status": status, "busy": busy, "wait": 0.0}


def test_polling_groups_the_reads_that_follow_a_wait_and_stops_at_a_later_refresh(bench: ModuleType) -> None:
    get, put = "GET /{bucket}?lifecycle", "PUT /{bucket}?lifecycle"
    requests = [
        _request(1000.0, "sts", "GetCallerIdentity"),
        _request(1000.5, "s3", get, status="404"),  # the existence check before the PUT is not part of the wait
        _request(1001.0, "s3", put),
        *(_request(1011.0 + 5 * i, "s3", get, busy=0.002 * (i + 1)) for i in range(3)),
        _request(1070.0, "s3", get),  # 49 s after the last read, the first came 10 s after the PUT: a refresh
        _request(1100.0, "rds", "CreateDBInstance"),
        _request(1160.0, "rds", "DescribeDBInstances"),
        _request(1170.0, "rds", "DescribeDBInstances"),
        _request(1200.0, "elasticloadbalancing", "CreateLoadBalancer", status="400"),  # failed: no wait follows
    ]
    assert bench.polling(requests) == [
        ("S3 lifecycle configuration", 1.0, [11.0, 16.0, 21.0], 0.006),
        ("RDS instance", 100.0, [160.0, 170.0], 0.004),
    ]
    assert bench.polling([]) == []
