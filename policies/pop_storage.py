"""Data at rest: EBS volumes, S3 buckets and SNS topics are encrypted; S3 buckets block public access."""

from __future__ import annotations

from typing import Any

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, contains_unknown, fail, policy, unknown

PAB_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


def _encrypted(value: Any) -> bool | None:
    """True/False for a known flag (bool or "true"/"false" string); None when unknown or unset."""
    if value is UNKNOWN or value is None or value == "":
        return None
    if isinstance(value, str):
        return value.lower() == "true"
    return value is True


def _default_encryption(context: Context) -> bool:
    """True when the plan turns on EBS encryption by default for the account and region."""
    return any(c.get("enabled") is True for c in context.of_type("aws_ebs_encryption_by_default"))


@policy(
    id="POP-EBS-001",
    title="EBS volumes are encrypted",
    severity="high",
    resource_types=("aws_ebs_volume", "aws_instance", "aws_launch_template"),
    rationale="Kafka's data volumes and the instances' root disks hold messages and credentials; an "
    "unencrypted volume leaks them through snapshots. Encryption is fixed at creation.",
    remediation="Set encrypted = true on aws_ebs_volume, root_block_device/ebs_block_device, and launch "
    "template block_device_mappings (or enable aws_ebs_encryption_by_default).",
)
def ebs_encrypted(change: Change, context: Context) -> Findings:
    by_default = _default_encryption(context)
    if change.type == "aws_ebs_volume":
        devices = [("encrypted", change.get("encrypted"))]
    elif change.type == "aws_instance":
        devices = _instance_devices(change, context)
    else:
        devices = _template_devices(change)
    for attribute, value in devices:
        state = _encrypted(value)
        if state is True or (state is None and by_default):
            continue
        if value is UNKNOWN:
            yield unknown(f"{attribute} is known only after apply", attribute=attribute)
        else:
            yield fail(f"{attribute} is not true: the volume is stored unencrypted", attribute=attribute)


def _instance_devices(change: Change, context: Context) -> list[tuple[str, Any]]:
    """(attribute, encrypted) of an instance's root and EBS block devices."""
    devices: list[tuple[str, Any]] = []
    for kind in ("root_block_device", "ebs_block_device"):
        blocks = change.get(kind)
        if blocks is UNKNOWN:
            if kind == "root_block_device" or context.configured(change, kind) is not False:
                devices.append((f"{kind}.encrypted", UNKNOWN))
            continue
        for i, block in enumerate(blocks or []):
            devices.append((f"{kind}.{i}.encrypted", block.get("encrypted") if isinstance(block, dict) else UNKNOWN))
    return devices


def _template_devices(change: Change) -> list[tuple[str, Any]]:
    """(attribute, encrypted) of a launch template's EBS block device mappings."""
    devices: list[tuple[str, Any]] = []
    for i, mapping in enumerate(change.get("block_device_mappings") or []):
        if mapping is UNKNOWN:
            devices.append((f"block_device_mappings.{i}", UNKNOWN))
            continue
        for ebs in mapping.get("ebs") or []:
            devices.append(
                (f"block_device_mappings.{i}.ebs.encrypted", ebs.get("encrypted") if isinstance(ebs, dict) else UNKNOWN)
            )
    return devices


@policy(
    id="POP-S3-001",
    title="S3 buckets have a managed server-side encryption configuration",
    severity="medium",
    resource_types=("aws_s3_bucket",),
    rationale="S3 applies SSE-S3 by default, but only an explicit configuration pins the algorithm (and a "
    "KMS key where wanted) in code, so a console change shows up as drift.",
    remediation="Add aws_s3_bucket_server_side_encryption_configuration for the bucket (AES256 for ALB "
    "access-log buckets, aws:kms elsewhere).",
)
def s3_encryption(change: Change, context: Context) -> Findings:
    inline = change.get("server_side_encryption_configuration")
    if (
        isinstance(inline, list)
        and inline
        and not contains_unknown(inline)
        and context.configured(change, "server_side_encryption_configuration")
    ):
        return
    configs = context.referrers(change, "aws_s3_bucket_server_side_encryption_configuration", "bucket")
    if not configs:
        yield fail("no aws_s3_bucket_server_side_encryption_configuration refers to this bucket")
        return
    for config in configs:
        rules = config.get("rule")
        if rules is UNKNOWN:
            yield unknown("the encryption rules are known only after apply", address=config.address)
            continue
        for rule in rules or []:
            defaults = rule.get("apply_server_side_encryption_by_default") if isinstance(rule, dict) else UNKNOWN
            for default in defaults if isinstance(defaults, list) else [defaults]:
                algorithm = default.get("sse_algorithm") if isinstance(default, dict) else UNKNOWN
                if algorithm is UNKNOWN:
                    yield unknown("the encryption algorithm is known only after apply", address=config.address)
                elif algorithm not in ("AES256", "aws:kms", "aws:kms:dsse"):
                    yield fail(f"sse_algorithm {algorithm!r} is not an encryption algorithm", address=config.address)


@policy(
    id="POP-S3-002",
    title="S3 buckets block every kind of public access",
    severity="high",
    resource_types=("aws_s3_bucket", "aws_s3_bucket_public_access_block"),
    rationale="State, logs and artifacts must never become public through an ACL or bucket policy; the "
    "public access block stops both even when a later policy is wrong.",
    remediation="Add aws_s3_bucket_public_access_block for the bucket with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets all true.",
)
def s3_public_access_block(change: Change, context: Context) -> Findings:
    if change.type == "aws_s3_bucket":
        if not context.referrers(change, "aws_s3_bucket_public_access_block", "bucket"):
            yield fail("no aws_s3_bucket_public_access_block refers to this bucket")
        return
    for flag in PAB_FLAGS:
        value = change.get(flag)
        if value is UNKNOWN:
            yield unknown(f"{flag} is known only after apply", attribute=flag)
        elif value is not True:
            yield fail(f"{flag} is not true", attribute=flag)


# Publishers AWS documents as unable to use an encrypted topic: (resource type, attribute naming the topic).
# ElastiCache marks an encrypted notification topic "inactive" and drops its events.
_PLAINTEXT_PUBLISHERS = (
    ("aws_elasticache_replication_group", "notification_topic_arn"),
    ("aws_elasticache_cluster", "notification_topic_arn"),
)


@policy(
    id="POP-SNS-001",
    title="SNS topics are encrypted with KMS (except a topic an unencrypted-only publisher such as ElastiCache needs)",
    severity="medium",
    resource_types=("aws_sns_topic",),
    rationale="Alarm notifications carry resource names, endpoints and error text; server-side encryption "
    "keeps them encrypted while stored in the topic. ElastiCache cannot publish to an encrypted topic, so the "
    "topic its event notifications go to is exempt.",
    remediation="Set kms_master_key_id (alias/aws/sns or a customer-managed key that allows CloudWatch).",
)
def sns_encrypted(change: Change, context: Context) -> Findings:
    if any(context.referrers(change, rtype, attribute) for rtype, attribute in _PLAINTEXT_PUBLISHERS):
        return
    value = change.get("kms_master_key_id")
    if value is UNKNOWN:
        if context.configured(change, "kms_master_key_id") is False:
            yield fail("kms_master_key_id is not set", attribute="kms_master_key_id")
        # configured from a key created in the same plan: it will be set
        return
    if not value:
        yield fail("kms_master_key_id is not set: the topic is not encrypted", attribute="kms_master_key_id")
