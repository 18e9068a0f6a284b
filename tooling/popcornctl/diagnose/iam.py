"""Does an IAM role allow an action? Read from the role's inline and attached policies.

``iam:SimulatePrincipalPolicy`` needs its own permission and is missing from many emulators, so the
role's policy documents are read and evaluated here instead: Allow/Deny statements, Action/NotAction
with wildcards, explicit Deny winning. Resources and Conditions are not evaluated (a statement scoped to
other resources still counts as allowing the action), which the findings say.
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from popcornctl.diagnose.awsutil import Memo, arn_name, error_code


@dataclass(frozen=True)
class RolePolicies:
    """The policy documents of one role."""

    role_name: str
    exists: bool
    documents: tuple[tuple[str, dict[str, Any]], ...] = ()  # (policy name, document)
    error: str | None = None


@dataclass(frozen=True)
class ActionCheck:
    """Which of the asked actions a role allows."""

    role_name: str
    exists: bool
    allowed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()
    error: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # action -> policy name that allows it

    @property
    def ok(self) -> bool:
        """True when the role exists and allows every asked action."""
        return self.exists and not self.missing and not self.denied and self.error is None


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    text = urllib.parse.unquote(str(raw))
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


class RoleInspector:
    """Memoised reads of role policies (one set of IAM calls per role per run)."""

    def __init__(self, iam: Any) -> None:
        self.iam = iam
        self._policies: Memo[str, RolePolicies] = Memo(self._load)

    def _load(self, role_name: str) -> RolePolicies:
        from botocore.exceptions import ClientError

        try:
            self.iam.get_role(RoleName=role_name)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                return RolePolicies(role_name, exists=False)
            raise
        docs: list[tuple[str, dict[str, Any]]] = []
        for page in self.iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
            for name in page.get("PolicyNames", []):
                raw = self.iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
                docs.append((name, _document(raw)))
        for page in self.iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
            for attached in page.get("AttachedPolicies", []):
                arn = attached["PolicyArn"]
                version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                raw = self.iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
                docs.append((attached.get("PolicyName") or arn_name(arn), _document(raw)))
        return RolePolicies(role_name, exists=True, documents=tuple(docs))

    def policies(self, role_arn: str) -> RolePolicies:
        """The role's documents (exists=False when the role is gone; error set when IAM refused)."""
        name = arn_name(role_arn)
        outcome = self._policies(name)
        if outcome.value is not None:
            return outcome.value
        return RolePolicies(name, exists=True, error=outcome.error)

    def check(self, role_arn: str, actions: list[str]) -> ActionCheck:
        """Evaluate ``actions`` against the role's policies."""
        pol = self.policies(role_arn)
        if not pol.exists or pol.error:
            return ActionCheck(pol.role_name, pol.exists, missing=tuple(actions), error=pol.error)
        allowed: dict[str, str] = {}
        denied: set[str] = set()
        for policy_name, doc in pol.documents:
            statements = doc.get("Statement", [])
            for stmt in statements if isinstance(statements, list) else [statements]:
                if not isinstance(stmt, dict):
                    continue
                effect = str(stmt.get("Effect", "")).lower()
                for action in actions:
                    if "Action" in stmt:
                        hit = any(_matches(p, action) for p in _as_list(stmt["Action"]))
                    elif "NotAction" in stmt:
                        hit = not any(_matches(p, action) for p in _as_list(stmt["NotAction"]))
                    else:
                        hit = False
                    if not hit:
                        continue
                    if effect == "deny":
                        denied.add(action)
                    elif effect == "allow":
                        allowed.setdefault(action, policy_name)
        return ActionCheck(
            pol.role_name,
            True,
            allowed=tuple(a for a in actions if a in allowed and a not in denied),
            missing=tuple(a for a in actions if a not in allowed and a not in denied),
            denied=tuple(a for a in actions if a in denied),
            sources={a: allowed[a] for a in actions if a in allowed},
        )
