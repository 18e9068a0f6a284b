"""EC2 (Kafka brokers): IMDSv2 only, on instances and launch templates."""

from __future__ import annotations

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown


def _imdsv2(change: Change, context: Context) -> Findings:
    options = change.get("metadata_options")
    if options is UNKNOWN:
        if context.configured(change, "metadata_options") is False:
            yield fail(
                "metadata_options is not set: http_tokens follows the AMI default, which may allow IMDSv1",
                attribute="metadata_options",
            )
        else:
            yield unknown("metadata_options is known only after apply", attribute="metadata_options")
        return
    block = options[0] if isinstance(options, list) and options else None
    if not isinstance(block, dict):
        yield fail("metadata_options is not set: IMDSv1 stays available", attribute="metadata_options")
        return
    if block.get("http_endpoint") == "disabled":
        return
    tokens = block.get("http_tokens")
    if tokens is UNKNOWN:
        if context.configured(change, "metadata_options.http_tokens") is False:
            yield fail(
                "metadata_options.http_tokens is not set: the AMI default may allow IMDSv1",
                attribute="metadata_options.http_tokens",
            )
        else:
            yield unknown("http_tokens is known only after apply", attribute="metadata_options.http_tokens")
    elif tokens != "required":
        yield fail(
            f"metadata_options.http_tokens = {tokens!r}: IMDSv1 (no token) is allowed",
            attribute="metadata_options.http_tokens",
        )


_RATIONALE = (
    "IMDSv1 answers any request from the instance, so one SSRF bug in a broker-side tool hands out "
    "the instance role's credentials; IMDSv2 requires a session token."
)
_REMEDIATION = 'Set metadata_options { http_tokens = "required", http_put_response_hop_limit = 1 }.'


@policy(
    id="POP-EC2-001",
    title="EC2 instances require IMDSv2",
    severity="high",
    resource_types=("aws_instance",),
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
)
def instance_imdsv2(change: Change, context: Context) -> Findings:
    yield from _imdsv2(change, context)


@policy(
    id="POP-EC2-002",
    title="Launch templates require IMDSv2",
    severity="high",
    resource_types=("aws_launch_template",),
    rationale=_RATIONALE + " Every instance launched from the template inherits the setting.",
    remediation=_REMEDIATION,
)
def launch_template_imdsv2(change: Change, context: Context) -> Findings:
    yield from _imdsv2(change, context)
