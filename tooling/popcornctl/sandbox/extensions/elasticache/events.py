"""ElastiCache events and TestFailover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from popcornctl.sandbox.extensions import Kind, extension
from popcornctl.sandbox.extensions.elasticache.base import (
    MOTO,
    _action,
    _backend_cls,
    _fault,
    _record_event,
    _result,
    _state,
)

# -- events and failover ----------------------------------------------------------------------------------------


@extension(
    "elasticache.events",
    kind=Kind.OPERATION,
    summary="DescribeEvents: the events of the emulator's own changes (cluster created, snapshot succeeded, "
    "failover, group deleted), filtered by source and time (the last hour by default), newest first",
    moto_lacks=MOTO,
)
def install_events() -> None:
    """AWS keeps 14 days of events per source and DescribeEvents returns the last hour unless StartTime, EndTime
    or Duration (minutes) says otherwise; snapshots add "Snapshot succeeded for snapshot with ID '<name>'"."""
    backend_cls = _backend_cls()
    original_snapshot = backend_cls.create_snapshot

    def create_snapshot(self: Any, **kwargs: Any) -> Any:
        snapshot = original_snapshot(self, **kwargs)
        source = (
            ("replication-group", kwargs["replication_group_id"])
            if kwargs.get("replication_group_id")
            else ("cache-cluster", kwargs.get("cache_cluster_id") or "")
        )
        _record_event(self, *source, f"Snapshot succeeded for snapshot with ID '{kwargs['snapshot_name']}'")
        return snapshot

    backend_cls.create_snapshot = create_snapshot

    @_action("describe_events")
    def describe_events(self: Any) -> Any:
        now = datetime.now(UTC)
        end = _aware(self._get_param("EndTime")) or now
        duration = self._get_int_param("Duration")
        start = _aware(self._get_param("StartTime")) or end - timedelta(minutes=duration or 60)
        source_id, source_type = self._get_param("SourceIdentifier"), self._get_param("SourceType")
        events: list[dict[str, Any]] = _state(self.elasticache_backend, "_popcorn_events", list)
        rows = [
            e
            for e in reversed(events)
            if start <= e["Date"] <= end
            and (not source_id or e["SourceIdentifier"] == source_id)
            and (not source_type or e["SourceType"] == source_type)
        ]
        offset = int(self._get_param("Marker") or 0)
        size = self._get_int_param("MaxRecords") or 100
        page = rows[offset : offset + size]
        result: dict[str, Any] = {"Events": page}
        if offset + size < len(rows):
            result["Marker"] = str(offset + size)
        return _result(result)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    moment: datetime = value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@extension(
    "elasticache.test_failover",
    kind=Kind.OPERATION,
    summary="TestFailover promotes the first replica of a node group to primary and records AWS's failover events",
    moto_lacks=MOTO,
)
def install_test_failover() -> None:
    """AWS's TestFailover (automatic failover on, at least one replica) promotes a replica and emits "Test Failover
    API called for node group <id>" and "Failover from primary node <old> to replica node <new> completed". The
    old primary's "Recovering cache nodes"/"Finished recovery" pair, minutes later on AWS, is not emitted."""

    @_action("test_failover")
    def test_failover(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id, node_group_id = self._get_param("ReplicationGroupId"), self._get_param("NodeGroupId")
        if group_id not in backend.replication_groups:
            from moto.elasticache.exceptions import ReplicationGroupNotFound

            raise ReplicationGroupNotFound(group_id)
        group = backend.replication_groups[group_id]
        node_group = next((n for n in group.node_groups if n["node_group_id"] == node_group_id), None)
        if node_group is None:
            raise _fault("NodeGroupNotFoundFault", f"NodeGroup {node_group_id} not found.")
        if group.automatic_failover != "enabled":
            raise _fault(
                "InvalidReplicationGroupState",
                f"Replication group {group_id} must have automatic failover enabled to test failover.",
            )
        members = node_group["node_group_members"]
        primary = next(m for m in members if m.get("current_role") == "primary")
        replica = next((m for m in members if m.get("current_role") == "replica"), None)
        if replica is None:
            raise _fault("InvalidReplicationGroupState", f"Node group {node_group_id} has no replica to fail over to.")
        primary["current_role"], replica["current_role"] = "replica", "primary"
        called = f"Test Failover API called for node group {node_group_id}"
        _record_event(backend, "replication-group", group_id, called)
        _record_event(
            backend,
            "cache-cluster",
            replica["cache_cluster_id"],
            f"Failover from primary node {primary['cache_cluster_id']} to replica node "
            f"{replica['cache_cluster_id']} completed",
        )
        return _result({"ReplicationGroup": group})
