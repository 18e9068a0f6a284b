"""Tagging: every taggable resource carries the tags cost reports and on-call depend on."""

from __future__ import annotations

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

REQUIRED_TAGS = ("Project", "Environment", "ManagedBy", "Owner")


@policy(
    id="POP-TAG-001",
    title="Taggable resources carry Project, Environment, ManagedBy and Owner",
    severity="low",
    resource_types=("*",),
    needs_plan=True,  # tags_all (default tags merged in) is computed by the provider at plan time
    rationale="Cost allocation, the monitoring dashboards' filters and 'who owns this?' at 3 a.m. all read "
    "these tags; provider default_tags set them once for a whole stack. A stack every environment shares "
    "(bootstrap, global/*) is tagged with its own scope (Environment = global), not with the environment "
    "whose run applies it.",
    remediation="Set them in the provider's default_tags { tags = { Project, Environment, ManagedBy, Owner } }.",
)
def required_tags(change: Change, context: Context) -> Findings:
    if change.after is None or ("tags_all" not in change.after and "tags_all" not in change.after_unknown):
        return  # not a taggable resource type
    tags = change.get("tags_all")
    if tags is UNKNOWN:
        yield unknown("tags_all is known only after apply", attribute="tags_all")
        return
    tags = tags if isinstance(tags, dict) else {}
    missing = [t for t in REQUIRED_TAGS if t not in tags or (tags[t] is not UNKNOWN and not tags[t])]
    if missing:
        yield fail(f"missing tag{'s' if len(missing) > 1 else ''} {', '.join(missing)}", attribute="tags_all")
        return
    # context.environment is the plan's environment for an environment's stack, and the stack's own scope (its
    # `environment` variable, e.g. "global") for a shared stack, whatever environment the run is for.
    env_tag = tags.get("Environment")
    if (
        context.environment
        and isinstance(env_tag, str)
        and env_tag.lower()
        not in (context.environment, {"prod": "production", "dev": "development"}.get(context.environment, ""))
    ):
        yield fail(
            f"Environment tag {env_tag!r} does not match the plan's environment {context.environment!r}"
            + (" (a shared stack: its own scope)" if context.scope == "shared" else ""),
            attribute="tags_all.Environment",
        )
