"""ECR repositories: tags cannot be overwritten, and images are scanned when pushed."""

from __future__ import annotations

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

SCANNING_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")


@policy(
    id="POP-ECR-001",
    title="ECR image tags are immutable",
    severity="medium",
    resource_types=("aws_ecr_repository",),
    rationale="With mutable tags a push can silently replace the image a running task definition names, so "
    "what runs in prod is no longer what was reviewed and scanned.",
    remediation='Set image_tag_mutability = "IMMUTABLE" and deploy by unique tags (git SHA).',
)
def ecr_immutable(change: Change, context: Context) -> Findings:
    value = change.get("image_tag_mutability")
    if value is UNKNOWN:
        yield unknown("image_tag_mutability is known only after apply", attribute="image_tag_mutability")
    elif not (isinstance(value, str) and value.startswith("IMMUTABLE")):
        yield fail(f"image_tag_mutability = {value!r}: tags can be overwritten", attribute="image_tag_mutability")


def _registry_scans(context: Context) -> bool:
    for config in context.of_type("aws_ecr_registry_scanning_configuration"):
        for rule in config.get("rule") or []:
            if isinstance(rule, dict) and rule.get("scan_frequency") in SCANNING_FREQUENCIES:
                return True
    return False


@policy(
    id="POP-ECR-002",
    title="ECR scans images on push",
    severity="medium",
    resource_types=("aws_ecr_repository",),
    rationale="Scanning at push time reports known CVEs in base images before the image is deployed.",
    remediation="Set image_scanning_configuration { scan_on_push = true } (or a registry scanning "
    "configuration with SCAN_ON_PUSH/CONTINUOUS_SCAN rules).",
)
def ecr_scan_on_push(change: Change, context: Context) -> Findings:
    if _registry_scans(context):
        return
    value = change.get("image_scanning_configuration.0.scan_on_push")
    if value is UNKNOWN:
        yield unknown("scan_on_push is known only after apply", attribute="image_scanning_configuration")
    elif value is not True:
        yield fail("image_scanning_configuration.scan_on_push is not true", attribute="image_scanning_configuration")
