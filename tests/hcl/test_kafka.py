"""modules/ec2-kafka: planned against the sandbox for 1 and 3 brokers.

The boot script is rendered by Terraform itself (the module's `user_data` output, a `templatefile` result; the plan
also shows each instance's user_data hash, which must be the SHA-1 of that same text). The test then runs `bash -n`
on it and parses the embedded server.properties for a correct KRaft quorum.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

EXAMPLE = REPO / "modules/ec2-kafka/examples/basic"
NAME = "popcorn-kafka-ex"
ZONE = f"kafka.{NAME}.internal"


@pytest.fixture(scope="module", params=[1, 3], ids=["1-broker", "3-brokers"])
def plan(request: pytest.FixtureRequest, tf_session: Any, moto_server: Any) -> dict[str, Any]:
    result = tf_session.plan_json(EXAMPLE, sandbox=moto_server, variables={"broker_count": str(request.param)})
    result["_brokers"] = request.param
    return result


def _scripts(plan: dict[str, Any]) -> dict[str, str]:
    return plan["planned_values"]["outputs"]["user_data"]["value"]


def _properties(script: str) -> dict[str, str]:
    match = re.search(r"<<'PROPERTIES'\n(.*?)\nPROPERTIES\n", script, re.S)
    assert match, "server.properties heredoc not found"
    props = {}
    for line in match.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            assert key not in props, f"duplicate property {key}"
            props[key.strip()] = value.strip()
    return props


def test_instances_require_imdsv2_and_have_encrypted_volumes(plan: dict[str, Any]) -> None:
    n = plan["_brokers"]
    instances = resources(plan, "aws_instance")
    assert len(instances) == n
    for inst in instances:
        v = inst["values"]
        assert v["metadata_options"][0]["http_tokens"] == "required"
        assert v["metadata_options"][0]["http_put_response_hop_limit"] == 1
        root = v["root_block_device"][0]
        assert root["encrypted"] is True and root["volume_type"] == "gp3"
        assert v.get("key_name") in (None, ""), "no SSH key: SSM Session Manager only"
        assert v["associate_public_ip_address"] is False
        assert v["ebs_optimized"] is True
        assert inst["unknown"].get("iam_instance_profile"), "module-created SSM/CloudWatch instance profile"
    volumes = resources(plan, "aws_ebs_volume")
    assert len(volumes) == n
    for vol in volumes:
        assert vol["values"]["encrypted"] is True and vol["values"]["type"] == "gp3"
        assert vol["unknown"].get("kms_key_id")
    attachments = resources(plan, "aws_volume_attachment")
    assert len(attachments) == n and all(a["values"]["device_name"] == "/dev/sdf" for a in attachments)


def test_brokers_are_spread_over_subnets_and_named_in_private_dns(plan: dict[str, Any]) -> None:
    n = plan["_brokers"]
    records = {r["values"]["name"] for r in resources(plan, "aws_route53_record")}
    assert records == {f"broker-{i}.{ZONE}" for i in range(1, n + 1)}
    (zone,) = resources(plan, "aws_route53_zone")
    assert zone["values"]["name"] == ZONE and len(zone["values"]["vpc"]) == 1
    outputs = plan["planned_values"]["outputs"]
    assert outputs["bootstrap_servers"]["value"] == ",".join(f"broker-{i}.{ZONE}:9092" for i in range(1, n + 1))


def test_user_data_is_the_rendered_script_and_passes_bash_n(plan: dict[str, Any], tmp_path: Path) -> None:
    scripts = _scripts(plan)
    assert sorted(scripts) == [str(i) for i in range(1, plan["_brokers"] + 1)]
    hashes = {inst["index"]: inst["values"]["user_data"] for inst in resources(plan, "aws_instance")}
    bash = shutil.which("bash")
    assert bash, "bash is needed to syntax-check the boot script"
    for node, script in scripts.items():
        assert hashes[node] == hashlib.sha1(script.encode()).hexdigest(), "instance user_data is this exact script"
        assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script
        assert len(script.encode()) < 16 * 1024, "EC2 user data limit"
        path = tmp_path / f"user-data-{node}.sh"
        path.write_text(script)
        check = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        # Pinned version from the Apache archive, storage formatted once, Kafka under systemd, CloudWatch agent.
        assert "https://archive.apache.org/dist/kafka/3.9.1/kafka_2.13-3.9.1.tgz" in script
        assert "kafka-storage.sh format --ignore-formatted" in script
        assert "systemctl enable --now kafka.service" in script
        assert "amazon-cloudwatch-agent-ctl -a fetch-config" in script
        assert "mkfs.xfs" in script and "blkid" in script, "formats the data volume only when it has no filesystem"


def test_server_properties_form_a_correct_kraft_quorum(plan: dict[str, Any]) -> None:
    n = plan["_brokers"]
    props = {node: _properties(script) for node, script in _scripts(plan).items()}
    expected_voters = ",".join(f"{i}@broker-{i}.{ZONE}:9093" for i in range(1, n + 1))
    node_ids = sorted(int(p["node.id"]) for p in props.values())
    assert node_ids == list(range(1, n + 1)), "unique node ids 1..N"
    for node, p in props.items():
        assert p["node.id"] == node
        assert p["process.roles"] == "broker,controller"
        assert p["controller.quorum.voters"] == expected_voters, "every node has the same, complete voter set"
        voters = dict(v.split("@", 1) for v in p["controller.quorum.voters"].split(","))
        assert voters[node] == f"broker-{node}.{ZONE}:9093", "a node is a voter under its own stable name"
        assert p["controller.listener.names"] == "CONTROLLER"
        listeners = dict(item.split("://", 1) for item in p["listeners"].split(","))
        assert listeners == {"BROKER": "0.0.0.0:9092", "CONTROLLER": "0.0.0.0:9093"}
        assert p["advertised.listeners"] == f"BROKER://broker-{node}.{ZONE}:9092"
        assert "CONTROLLER" not in p["advertised.listeners"]
        assert p["inter.broker.listener.name"] == "BROKER"
        assert set(p["listener.security.protocol.map"].split(",")) == {"BROKER:PLAINTEXT", "CONTROLLER:PLAINTEXT"}
        assert p["log.dirs"] == "/var/lib/kafka/data", "logs live on the separate data volume"
        rf = int(p["default.replication.factor"])
        assert rf == min(3, n) and int(p["offsets.topic.replication.factor"]) == rf
        assert int(p["transaction.state.log.replication.factor"]) == rf
        assert 1 <= int(p["min.insync.replicas"]) <= rf and int(p["transaction.state.log.min.isr"]) <= rf
        assert p["unclean.leader.election.enable"] == "false"
    # A majority of voters survives one node loss only with 3+ voters.
    assert (n // 2 + 1 < n) == (n >= 3)


def test_cluster_id_is_a_stable_16_byte_base64url_uuid(plan: dict[str, Any]) -> None:
    cluster_id = plan["planned_values"]["outputs"]["cluster_id"]["value"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
    raw = base64.urlsafe_b64decode(cluster_id + "==")
    assert len(raw) == 16
    # Derived in Terraform from SHA-256 of the default seed "<name>/kafka": same value on every plan.
    assert raw == hashlib.sha256(f"{NAME}/kafka".encode()).digest()[:16]
    for script in _scripts(plan).values():
        assert f'CLUSTER_ID="{cluster_id}"' in script


# --------------------------------------------------------------------------------------------- rolling changes


def _replans(tf_session: Any, workdir: Path, sandbox: Any, variables: dict[str, str]) -> dict[str, Any]:
    """A plan against the applied example, without refresh (nothing changed behind Terraform's back)."""
    engine = tf_session.engine(sandbox)
    env = tf_session.env(workdir, sandbox)
    plan_file = workdir / "roll.tfplan"
    res = engine.plan(workdir, plan_file, variables=variables, refresh=False, env=env)
    assert res.ok, res.output
    return engine.show_json(workdir, plan_file, env=env)


def _brokers(planned: dict[str, Any]) -> dict[str, str]:
    """Node id -> untouched, rolled (replaced by its generation) or what else happens to it and why."""
    out = {}
    for rc in planned["resource_changes"]:
        if rc["type"] != "aws_instance" or rc["name"] != "broker":
            continue
        actions = rc["change"]["actions"]
        if actions == ["no-op"]:
            out[rc["index"]] = "untouched"
        elif rc.get("action_reason") == "replace_by_triggers":
            out[rc["index"]] = "rolled"
        else:
            before, after = rc["change"].get("before") or {}, rc["change"].get("after") or {}
            changed = sorted(k for k in after if before.get(k) != after.get(k))
            out[rc["index"]] = f"{actions} {rc.get('action_reason')} {rc['change'].get('replace_paths')} {changed}"
    return out


@pytest.mark.slow
def test_a_change_rolls_one_broker_per_apply(tf_session: Any, sandbox: Any, tmp_path: Path) -> None:
    """Applied with three brokers, then planned again: a new Kafka version and instance type replace or restart no
    broker (they are listed as pending); raising broker 2's generation replaces broker 2 alone, with the new
    configuration."""
    from hclsupport import portable_copy

    work = portable_copy(EXAMPLE, tmp_path / "kafka")
    base = {"broker_count": "3", "enable_detailed_monitoring": "false"}
    tf_session.apply(work, sandbox=sandbox, variables=base)

    changed = {**base, "kafka_version": "4.0.0", "instance_type": "t3.large"}
    config_only = _replans(tf_session, work, sandbox, changed)
    assert _brokers(config_only) == dict.fromkeys("123", "untouched")
    assert config_only["planned_values"]["outputs"]["brokers_pending_roll"]["value"] == ["1", "2", "3"]

    rolled = _replans(tf_session, work, sandbox, {**changed, "broker_generations": '{"2" = 1}'})
    assert _brokers(rolled) == {"1": "untouched", "2": "rolled", "3": "untouched"}
    new = next(rc for rc in rolled["resource_changes"] if rc["address"] == 'module.kafka.aws_instance.broker["2"]')
    assert new["change"]["after"]["instance_type"] == "t3.large"
    assert "4.0.0" in rolled["planned_values"]["outputs"]["user_data"]["value"]["2"]
