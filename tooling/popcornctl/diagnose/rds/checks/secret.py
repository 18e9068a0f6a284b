"""The master password: managed by Secrets Manager, present, active and rotated."""

from __future__ import annotations

from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.rds.facts import RdsFacts
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age


@check(
    "rds.master-secret",
    kind="rds-instance",
    order=130,
    title="the RDS-managed master user secret",
    looks_at="DescribeDBInstances MasterUserSecret (SecretArn, SecretStatus); secretsmanager:DescribeSecret "
    "(rotation, deletion)",
    findings=("rds.master-secret",),
    reads=("secret",),
    ok="managed by Secrets Manager and rotated",
    warn="not managed; not rotated",
    fail="the secret is gone, scheduled for deletion, or not active",
)
def rds_master_secret(facts: RdsFacts) -> list[Finding]:
    """A password in Terraform state is never rotated; a managed one must exist, be active and rotate."""
    db, secret = facts.instance, facts.secret
    if not db.secret_arn or secret is None:
        return [
            Finding(
                "rds.master-secret",
                Status.WARN,
                "the master password is not managed by Secrets Manager",
                cause="A password set in Terraform lives in the state file and is never rotated.",
                remediation="Set manage_master_user_password = true (RDS creates and rotates the secret).",
            )
        ]
    arn = db.secret_arn
    if not secret.exists:
        return [
            Finding(
                "rds.master-secret",
                Status.FAIL,
                "the master user secret does not exist",
                evidence=[arn],
                cause="The secret was deleted; apps reading it cannot connect.",
                remediation="Turn manage_master_user_password off and on again to re-create it.",
            )
        ]
    evidence = [arn, f"status {db.secret_status or '?'}"]
    if secret.deleted:
        return [
            Finding(
                "rds.master-secret",
                Status.FAIL,
                "the master user secret is scheduled for deletion",
                evidence=evidence,
                remediation="Restore it: aws secretsmanager restore-secret.",
            )
        ]
    if db.secret_status not in (None, "active", "creating"):
        return [
            Finding(
                "rds.master-secret",
                Status.FAIL,
                f"the master user secret is {db.secret_status}",
                evidence=evidence,
                cause="RDS cannot use or rotate the secret (often a KMS key problem).",
                remediation="Check the secret's KMS key is enabled and usable by RDS.",
            )
        ]
    if not secret.rotation_enabled:
        return [
            Finding(
                "rds.master-secret",
                Status.WARN,
                "the master user secret is not rotated",
                evidence=evidence,
                remediation="Enable rotation on the RDS-managed secret (default every 7 days).",
            )
        ]
    if secret.last_rotated:
        evidence.append(f"last rotated {human_age(facts.window.age(secret.last_rotated))} ago")
    days = secret.rotation_days
    title = "master password in Secrets Manager, rotated" + (f" every {days} days" if days else "")
    return [Finding("rds.master-secret", Status.OK, title, evidence=evidence)]
