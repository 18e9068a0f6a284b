"""Destructive changes: deleting or replacing what holds data is critical unless a waiver says otherwise.

A replacement destroys the old object even with ``create_before_destroy``: the new database, volume or
repository starts empty. Terraform's ``replace_paths`` name the attributes that force it.
"""

from __future__ import annotations

from popcornctl.policy.api import Change, Context, Findings, fail, policy

DATA_STORES = (
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_cluster",
    "aws_elasticache_serverless_cache",
    "aws_dynamodb_table",
)
VOLUMES = ("aws_ebs_volume", "aws_efs_file_system")


def _what(change: Change) -> str:
    if change.is_replace:
        paths = [".".join(str(p) for p in path) for path in change.replace_paths if isinstance(path, list)]
        forced = f" (forced by {', '.join(paths)})" if paths else ""
        return f"planned for replacement{forced}: the existing object is destroyed"
    return "planned for deletion"


def _name(change: Change, attribute: str) -> object:
    before = change.before_get(attribute)
    return before if before is not None else change.get(attribute)


def _is_lock_table(change: Change, context: Context) -> bool:
    name = _name(change, "name")
    if context.lock_table:
        return name == context.lock_table
    return isinstance(name, str) and ("tf-lock" in name or "terraform-lock" in name)


_REMEDIATION = (
    "Avoid the change (revert the attribute that forces replacement, or use a moved/removed "
    "block); if it is intended, take a backup first and add a waiver with a reason and expiry."
)


@policy(
    id="POP-DESTROY-001",
    title="Databases and caches are not deleted or replaced",
    severity="critical",
    resource_types=DATA_STORES,
    evaluates_deletes=True,
    needs_plan=True,
    rationale="Deleting or replacing the RDS instance, the cache or a DynamoDB table loses its data (a "
    "replacement starts empty); it needs a restore plan, not a routine apply.",
    remediation=_REMEDIATION,
)
def data_store_destroyed(change: Change, context: Context) -> Findings:
    if change.destroys and not (change.type == "aws_dynamodb_table" and _is_lock_table(change, context)):
        yield fail(f"{change.type} {_what(change)}")


@policy(
    id="POP-DESTROY-002",
    title="Data volumes (Kafka's EBS volumes) are not deleted or replaced",
    severity="critical",
    resource_types=VOLUMES,
    evaluates_deletes=True,
    needs_plan=True,
    rationale="Kafka's logs live on these volumes; replacing one drops that broker's partitions and, with "
    "a single broker in dev, every unconsumed message.",
    remediation=_REMEDIATION,
)
def volume_destroyed(change: Change, context: Context) -> Findings:
    if change.destroys:
        yield fail(f"{change.type} {_what(change)}")


@policy(
    id="POP-DESTROY-003",
    title="The Terraform state bucket and lock table are not deleted or replaced",
    severity="critical",
    resource_types=("aws_s3_bucket", "aws_dynamodb_table"),
    evaluates_deletes=True,
    needs_plan=True,
    rationale="The state bucket holds every stack's state and the lock table its locks; losing either "
    "orphans all infrastructure from Terraform.",
    remediation="Never destroy the backend with Terraform; migrate state first (popcornctl handles the "
    "bootstrap migration) and add a waiver only for a planned backend move.",
)
def backend_destroyed(change: Change, context: Context) -> Findings:
    if not change.destroys:
        return
    if change.type == "aws_s3_bucket":
        bucket = _name(change, "bucket")
        is_state = (
            bucket == context.state_bucket
            if context.state_bucket
            else (isinstance(bucket, str) and "tfstate" in bucket)
        )
        if is_state:
            yield fail(f"the state bucket {bucket!r} is {_what(change)}")
    elif _is_lock_table(change, context):
        yield fail(f"the lock table {_name(change, 'name')!r} is {_what(change)}")


@policy(
    id="POP-DESTROY-004",
    title="ECR repositories are not deleted or replaced",
    severity="critical",
    resource_types=("aws_ecr_repository",),
    evaluates_deletes=True,
    needs_plan=True,
    rationale="A repository holds the images every running task definition names; deleting it breaks the "
    "next task start and rollback (force_delete also deletes the images).",
    remediation=_REMEDIATION,
)
def ecr_destroyed(change: Change, context: Context) -> Findings:
    if change.destroys:
        forced = " with force_delete (its images are deleted too)" if change.before_get("force_delete") is True else ""
        yield fail(f"aws_ecr_repository {_what(change)}{forced}")


# Updates AWS applies to an instance only while it is stopped (the provider stops and starts it).
_STOPPING_ATTRIBUTES = ("instance_type", "user_data", "user_data_base64", "ebs_optimized", "cpu_options")


def _quorum(change: Change) -> str | None:
    """The quorum an instance belongs to (instances of one resource block tagged as KRaft controllers), or None."""
    tags = change.before_get("tags_all") if change.destroys else change.tags()
    role = tags.get("KafkaRole") if isinstance(tags, dict) else None
    if not isinstance(role, str) or "controller" not in role:
        return None
    return change.config_address


def _disrupts(change: Change) -> str | None:
    """Why applying the change stops this instance (replacement or a stop-start update), or None."""
    if change.is_replace:
        return _what(change)
    if change.is_update:
        stopped = [a for a in _STOPPING_ATTRIBUTES if change.before_get(a) != change.get(a)]
        if stopped:
            return f"updated in place with a stop and start ({', '.join(stopped)} changes)"
    return None


@policy(
    id="POP-DESTROY-005",
    title="One apply replaces or restarts at most one member of a quorum (Kafka brokers)",
    severity="high",
    resource_types=("aws_instance",),
    needs_plan=True,
    rationale="Every Kafka node is also a KRaft controller: replacing or restarting two of three at once loses the "
    "controller majority and the partitions' in-sync replicas, so producers and consumers stop. A version, "
    "setting or instance type change must roll one broker per apply.",
    remediation="Roll one broker per apply: raise one entry of the ec2-kafka module's broker_generations "
    "(kafka.broker_generations in envs/*), wait until no partition is under-replicated, then the next.",
)
def quorum_rolled_one_at_a_time(change: Change, context: Context) -> Findings:
    quorum = _quorum(change)
    if quorum is None or _disrupts(change) is None:
        return

    def disrupted() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for other in context.of_type("aws_instance"):
            group = _quorum(other)
            if group is not None and _disrupts(other) is not None:
                found.setdefault(group, []).append(other.address)
        return found

    members = context.once("POP-DESTROY-005", disrupted).get(quorum, [])
    if len(members) > 1:
        others = ", ".join(m for m in members if m != change.address)
        yield fail(f"{_disrupts(change)}, in the same apply as {others}")
