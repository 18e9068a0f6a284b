"""IAM roles of the platform (by name prefix) and the policies attached to its managed roles.

IAM is global: roles are matched by the environment's name prefix (``goorm-popcorn-dev-…``) rather than by tag,
and a policy attached or written by hand into a managed role is found by listing that role's attached and inline
policies (two calls per managed role).
"""

from __future__ import annotations

from collections.abc import Iterator

from popcornctl.drift.inventory.base import CloudResource, ListContext, arn_key, lister, tags_of
from popcornctl.drift.inventory.claims import role_attachment_key, role_policy_key


@lister
class Roles:
    """IAM roles named with the environment's prefix."""

    type = "aws_iam_role"
    how = "IAM ListRoles, names starting with the environment's name prefix"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Roles whose name carries the prefix."""
        for item in ctx.pages("iam", "list_roles", "Roles"):
            name = str(item["RoleName"])
            if not ctx.scope.named_in_scope(name):
                continue
            arn = str(item["Arn"])
            yield CloudResource(type=self.type, id=name, key=arn_key(arn) or f"iam:role/{name}", arn=arn,
                                found_by=["name prefix"], keys={f"iam:role/{name}"}, name=name,
                                tags=tags_of(item.get("Tags")))


@lister
class RolePolicies:
    """Managed policies attached to, and inline policies written into, the managed roles."""

    type = "aws_iam_role_policy_attachment / aws_iam_role_policy"
    how = "IAM ListAttachedRolePolicies and ListRolePolicies of every managed role of the platform"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Every attachment and inline policy of a managed platform role."""
        for role in sorted(ctx.scope.roles):
            parent = f"iam:role/{role}"
            for item in ctx.pages("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=role):
                policy_arn = str(item["PolicyArn"])
                yield CloudResource(
                    type="aws_iam_role_policy_attachment", id=f"{role}/{policy_arn}",
                    key=role_attachment_key(role, policy_arn), found_by=[f"policies of role {role}"],
                    detail=f"{item.get('PolicyName')} attached to {role}", parent=parent,
                )
            for name in ctx.pages("iam", "list_role_policies", "PolicyNames", RoleName=role):
                yield CloudResource(
                    type="aws_iam_role_policy", id=f"{role}:{name}", key=role_policy_key(role, str(name)),
                    found_by=[f"policies of role {role}"], detail=f"inline policy {name} of {role}", parent=parent,
                )
