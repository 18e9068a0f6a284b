"""modules/cloudmap: its example planned: private DNS namespace, one service per key with custom health checks."""

from __future__ import annotations

from typing import Any

import pytest
from hclsupport import of_type, one, plan

from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


CLOUDMAP_EXAMPLE = REPO / "modules/cloudmap/examples/basic"


@pytest.fixture(scope="module")
def cloudmap_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, CLOUDMAP_EXAMPLE)


def test_cloudmap_namespace_and_services(cloudmap_plan: dict[str, Any]) -> None:
    assert one(cloudmap_plan, "aws_service_discovery_private_dns_namespace")["name"] == "example.popcorn.internal"
    services = {r["index"]: r["values"] for r in of_type(cloudmap_plan, "aws_service_discovery_service")}
    assert set(services) == {"user", "order", "payment"}
    for svc in services.values():
        dns = svc["dns_config"][0]
        assert dns["routing_policy"] == "MULTIVALUE"
        assert [(r["type"], r["ttl"]) for r in dns["dns_records"]] == [("A", 10)]
        assert svc["health_check_custom_config"][0]["failure_threshold"] == 1
