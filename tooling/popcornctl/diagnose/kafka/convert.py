"""EC2 and Route 53 API responses as typed ``diagnose kafka`` facts, and the layout from the outputs (pure)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.kafka.facts import CLIENT_PORT, CONTROLLER_PORT, Broker, Layout, StatusCheck, Volume, Voter


def _tags(raw: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in raw.get("Tags") or []}


def broker(raw: dict[str, Any], position: int) -> Broker:
    """DescribeInstances ``Reservations[].Instances[]``."""
    tags = _tags(raw)
    return Broker(
        instance_id=str(raw["InstanceId"]),
        node_id=tags.get("KafkaNodeId") or str(position),
        name=tags.get("Name", ""),
        state=str((raw.get("State") or {}).get("Name", "?")),
        state_reason=str((raw.get("StateReason") or {}).get("Message", "")),
        private_ip=raw.get("PrivateIpAddress"),
        az=(raw.get("Placement") or {}).get("AvailabilityZone"),
        subnet=raw.get("SubnetId"),
        instance_type=str(raw.get("InstanceType", "")),
        security_groups=tuple(str(g["GroupId"]) for g in raw.get("SecurityGroups") or [] if g.get("GroupId")),
        root_device=raw.get("RootDeviceName"),
    )


def _failed(summary: dict[str, Any], what: str) -> list[str]:
    out = []
    for detail in summary.get("Details") or []:
        if detail.get("Status") == "failed":
            since = detail.get("ImpairedSince")
            out.append(f"{what} {detail.get('Name', 'check')} failed" + (f" since {since:%Y-%m-%d %H:%M}" if since
                                                                         else ""))
    return out


def status(raw: dict[str, Any]) -> StatusCheck:
    """DescribeInstanceStatus ``InstanceStatuses[]``."""
    instance, system = raw.get("InstanceStatus") or {}, raw.get("SystemStatus") or {}
    scheduled = tuple(
        f"{e.get('Code')}: {e.get('Description', '')}"
        + (f" (not before {e['NotBefore']:%Y-%m-%d})" if e.get("NotBefore") else "")
        for e in raw.get("Events") or []
        if not str(e.get("Description", "")).startswith("[Completed]")
    )
    return StatusCheck(
        instance=str(instance.get("Status", "?")),
        system=str(system.get("Status", "?")),
        failed=tuple(_failed(instance, "instance") + _failed(system, "system")),
        scheduled=scheduled,
    )


def volume(raw: dict[str, Any]) -> Volume:
    """DescribeVolumes ``Volumes[]``."""
    tags = _tags(raw)
    attachment: dict[str, Any] = next(iter(raw.get("Attachments") or []), {})
    return Volume(
        id=str(raw["VolumeId"]),
        state=str(raw.get("State", "?")),
        size=int(raw.get("Size") or 0),
        node_id=tags.get("KafkaNodeId"),
        name=tags.get("Name", ""),
        instance=attachment.get("InstanceId"),
        device=attachment.get("Device"),
        attach_state=attachment.get("State"),
    )


def _host_port(text: str, default: int) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host:
        return text.strip(), default
    return host, int(port) if port.isdigit() else default


def layout(bootstrap: str | None, voters: str | None, prefix: str | None, source: str) -> Layout:
    """The brokers' hostnames and ports from ``kafka_bootstrap_servers`` and ``kafka_controller_quorum_voters``
    (``1@broker-1.kafka.<prefix>.internal:9093,...``), else the ec2-kafka module's conventions."""
    parsed = []
    for entry in (voters or "").split(","):
        node, _, address = entry.strip().partition("@")
        if node and address:
            host, port = _host_port(address, CONTROLLER_PORT)
            parsed.append(Voter(node, host, port))
    servers = [_host_port(s, CLIENT_PORT) for s in (bootstrap or "").split(",") if s.strip()]
    host = servers[0][0] if servers else parsed[0].host if parsed else ""
    zone = host.split(".", 1)[1] if "." in host else f"kafka.{prefix or 'popcorn'}.internal"
    return Layout(
        zone=zone,
        client_port=servers[0][1] if servers else CLIENT_PORT,
        controller_port=parsed[0].port if parsed else CONTROLLER_PORT,
        voters=tuple(parsed),
        source=source if servers or parsed else "convention",
    )
