"""CloudWatch log groups and KMS keys: encrypted logs, retention that matches the environment, rotation."""

from __future__ import annotations

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

# The seed's profile: dev keeps logs 7 days (cost), prod 30 days (investigations).
RETENTION = {"dev": (1, 7), "prod": (30, 3653)}


@policy(
    id="POP-LOG-001",
    title="Log groups are encrypted with a KMS key",
    severity="low",
    resource_types=("aws_cloudwatch_log_group",),
    rationale="Application logs contain request data and identifiers; a customer-managed key lets access "
    "to them be revoked and audited separately from CloudWatch read access.",
    remediation="Set kms_key_id to a KMS key whose policy allows the logs service principal.",
)
def log_group_kms(change: Change, context: Context) -> Findings:
    value = change.get("kms_key_id")
    if value is UNKNOWN:
        return  # set from a key created in this plan: it will be there after apply
    if not value:
        yield fail("kms_key_id is not set (logs use the service-owned key only)", attribute="kms_key_id")


@policy(
    id="POP-LOG-002",
    title="Log retention matches the environment (dev 7 days, prod at least 30)",
    severity="medium",
    resource_types=("aws_cloudwatch_log_group",),
    rationale="Logs kept forever cost money every month in dev; prod needs a month of logs to investigate "
    "incidents reported late.",
    remediation="Set retention_in_days = 7 in dev and 30 (or more) in prod; never leave it unset (never expires).",
)
def log_retention(change: Change, context: Context) -> Findings:
    value = change.get("retention_in_days")
    if value is UNKNOWN:
        yield unknown("retention_in_days is known only after apply", attribute="retention_in_days")
        return
    if not value:
        yield fail("retention_in_days is not set: logs never expire", attribute="retention_in_days")
        return
    env = context.environment
    if env is None:
        yield unknown(
            f"retention_in_days = {value}, but the environment cannot be told to compare it (pass --env)",
            attribute="retention_in_days",
        )
        return
    bounds = RETENTION.get(env)
    if bounds is None:
        return
    low, high = bounds
    if not low <= int(value) <= high:
        want = "7 days or fewer" if env == "dev" else "at least 30 days"
        yield fail(f"retention_in_days = {value} in {env}; expected {want}", attribute="retention_in_days")


@policy(
    id="POP-KMS-001",
    title="Customer-managed KMS keys rotate yearly",
    severity="medium",
    resource_types=("aws_kms_key",),
    rationale="Automatic rotation limits how much data one key version protects, at no operational cost.",
    remediation="Set enable_key_rotation = true.",
)
def kms_rotation(change: Change, context: Context) -> Findings:
    if change.get("customer_master_key_spec") not in (None, "SYMMETRIC_DEFAULT", UNKNOWN):
        return  # asymmetric and HMAC keys cannot rotate
    value = change.get("enable_key_rotation")
    if value is UNKNOWN:
        yield unknown("enable_key_rotation is known only after apply", attribute="enable_key_rotation")
    elif value is not True:
        yield fail("enable_key_rotation is not true", attribute="enable_key_rotation")
