"""The ``diagnose cache`` checks on typed facts: status and failover states moto cannot produce, every client
setting against the group's, thresholds from alarms, event rules. Emulator scenarios: test_cache_fetch.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from diagfacts import NOW, container
from targetfacts import GROUP, PRIMARY, alarm, cache_env, cache_facts, cache_group, cache_run, cache_services, found
from targetfacts import statuses as all_statuses

from popcornctl.diagnose.cache.clients import client
from popcornctl.diagnose.cache.facts import CacheEvent, Member
from popcornctl.diagnose.findings import Status


def test_healthy_facts_give_only_ok() -> None:
    assert set(all_statuses(cache_run()).values()) == {Status.OK}


@pytest.mark.parametrize(("env", "password", "status", "title"), [
    (cache_env(SPRING_DATA_REDIS_SSL_ENABLED="false"), True, Status.FAIL,
     "goorm-popcorn-dev-api/api connects without TLS, which the group requires"),
    (cache_env(SPRING_DATA_REDIS_HOST="other.cache.amazonaws.com"), True, Status.FAIL,
     "goorm-popcorn-dev-api/api points at other.cache.amazonaws.com, not at this group's endpoints"),
    (cache_env(SPRING_DATA_REDIS_PORT="6380"), True, Status.FAIL,
     "goorm-popcorn-dev-api/api connects to port 6380, the group listens on 6379"),
    (cache_env(SPRING_DATA_REDIS_HOST=f"replica.{GROUP}.abc123.apn2.cache.amazonaws.com"), True, Status.WARN,
     "goorm-popcorn-dev-api/api uses the reader endpoint: writes fail with READONLY"),
    (cache_env(), False, Status.FAIL, "goorm-popcorn-dev-api/api sends no password, and the group requires AUTH"),
])
def test_client_settings_against_the_group(env: dict[str, str], password: bool, status: Status, title: str) -> None:
    finding = found(cache_run(services=cache_services(env, password)), "cache.clients")
    assert (finding.status, finding.title) == (status, title)


def test_tls_only_preferred_warns_and_a_password_without_auth_fails() -> None:
    preferred = found(cache_run(group=cache_group(transit_mode="preferred"),
                                services=cache_services(cache_env(SPRING_DATA_REDIS_SSL_ENABLED="false"))),
                      "cache.clients")
    assert preferred.status is Status.WARN and "preferred accepts it" in preferred.title
    no_auth = found(cache_run(group=cache_group(auth_token=False)), "cache.clients")
    assert no_auth.title == "goorm-popcorn-dev-api/api sends a password, and the group has no AUTH configured"


def test_client_settings_are_read_from_every_spelling_without_secret_values() -> None:
    url = container("api", environment=(("SPRING_REDIS_URL", f"rediss://:s3cret@{PRIMARY}:6379"),))
    parsed = client("svc", url)
    assert parsed is not None and (parsed.host, parsed.port, parsed.tls, parsed.password) == (PRIMARY, 6379, True,
                                                                                               "url")
    assert "s3cret" not in parsed.line()
    plain = client("svc", container("api", environment=(("REDIS_HOST", "h"), ("REDIS_TLS", "0"))))
    assert plain is not None and (plain.host, plain.tls, plain.password) == ("h", False, None)
    assert client("svc", container("api", environment=(("DATABASE_URL", "postgres://x"),))) is None


def test_status_incompatible_network_fails_and_marks_the_cache_down() -> None:
    facts = cache_facts()
    broken = (replace(facts.nodes[0], status="incompatible-network"), facts.nodes[1])
    report = cache_run(nodes=broken)[0]
    assert found([report], "cache.status").status is Status.FAIL and report.health.value == "down"


def test_modifying_and_pending_reboot_warn() -> None:
    facts = cache_facts()
    pending = (replace(facts.nodes[0], parameter_status="pending-reboot"), facts.nodes[1])
    warn = found(cache_run(group=cache_group(status="modifying"), nodes=pending), "cache.status")
    assert (warn.status, warn.title) == (Status.WARN, "replication group modifying; parameters pending a reboot on "
                                                      f"{GROUP}-001")


def test_failover_readiness() -> None:
    no_primary = cache_group(members=(Member(f"{GROUP}-001", "replica"), Member(f"{GROUP}-002", "replica")))
    assert found(cache_run(group=no_primary), "cache.failover").status is Status.FAIL
    single = cache_group(members=(Member(f"{GROUP}-001", "primary", "a"),), member_ids=(f"{GROUP}-001",),
                         automatic_failover="disabled", multi_az="disabled")
    assert found(cache_run(group=single), "cache.failover").status is Status.OK  # dev: one node is the plan
    prod = found(cache_run(group=single, prod=True), "cache.failover")
    assert (prod.status, prod.title) == (Status.WARN, "a single node: no replica to fail over to")
    off = found(cache_run(group=cache_group(automatic_failover="disabled")), "cache.failover")
    assert off.status is Status.WARN and "automatic failover is disabled with 2 nodes" in off.title
    one_az = cache_group(members=(Member(f"{GROUP}-001", "primary", "a"), Member(f"{GROUP}-002", "replica", "a")))
    assert "every node is in a" in found(cache_run(group=one_az), "cache.failover").title


def test_a_lagging_replica_warns() -> None:
    facts = cache_facts()
    metrics = {**facts.metrics, f"lag@{GROUP}-002": (0.1, 14.0, 0.2)}
    lag = found(cache_run(metrics=metrics), "cache.failover")
    assert lag.status is Status.WARN and f"replica {GROUP}-002 lags 14.0 s behind" in lag.title


def test_no_free_ip_event_fails() -> None:
    events = (CacheEvent(GROUP, "ElastiCache:AddCacheNodeFailed : goorm-popcorn-dev-valkey", NOW),)
    event = found(cache_run(events=events), "cache.events")
    assert (event.status, event.rule) == (Status.FAIL, "cache.no-free-ip")


def test_thresholds_come_from_the_alarms_and_missing_datapoints_warn() -> None:
    tight = (alarm("conn", "AWS/ElastiCache", "CurrConnections", 30, {"CacheClusterId": f"{GROUP}-001"},
                   statistic="Maximum"),)
    conn = found(cache_run(alarms=tight), "cache.connections")
    assert conn.status is Status.FAIL and conn.title == f"{GROUP}-001: connections reached 42 (threshold 30)"
    assert found(cache_run(metrics={}), "cache.cpu").status is Status.WARN
