"""The offline fallback: evaluate a role's own policy documents (used when the policy simulator is not).

Reads the role's inline and attached (managed) policies and evaluates Allow/Deny statements, Action/NotAction
with wildcards, explicit Deny winning. Resources, Conditions and permissions boundaries are NOT evaluated: a
statement scoped to other resources still counts as allowing the action. Every finding built from this
answer says so (:attr:`Verdict.how`).
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from popcornctl.diagnose.facts import arn_name
from popcornctl.diagnose.iam.questions import LOCAL, Verdict


@dataclass(frozen=True)
class RolePolicies:
    """The policy documents of one role."""

    role_name: str
    documents: tuple[tuple[str, dict[str, Any]], ...] = ()  # (policy name, document)


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    loaded = json.loads(urllib.parse.unquote(str(raw)))
    return loaded if isinstance(loaded, dict) else {}


def read_policies(iam: Any, role_name: str) -> RolePolicies:
    """Every inline and attached policy document of the role (the role is known to exist)."""
    docs: list[tuple[str, dict[str, Any]]] = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page.get("PolicyNames", []):
            raw = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            docs.append((name, _document(raw)))
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page.get("AttachedPolicies", []):
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            raw = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            docs.append((attached.get("PolicyName") or arn_name(arn), _document(raw)))
    return RolePolicies(role_name, documents=tuple(docs))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    statements = doc.get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _hits(stmt: dict[str, Any], action: str) -> bool:
    if "Action" in stmt:
        return any(_matches(p, action) for p in _as_list(stmt["Action"]))
    if "NotAction" in stmt:
        return not any(_matches(p, action) for p in _as_list(stmt["NotAction"]))
    return False


def evaluate(policies: RolePolicies, actions: tuple[str, ...], note: str = "") -> Verdict:
    """Which of ``actions`` the documents allow, lack, or explicitly deny."""
    allowed: dict[str, str] = {}
    denied: set[str] = set()
    for policy_name, doc in policies.documents:
        for stmt in _statements(doc):
            effect = str(stmt.get("Effect", "")).lower()
            for action in (a for a in actions if _hits(stmt, a)):
                if effect == "deny":
                    denied.add(action)
                elif effect == "allow":
                    allowed.setdefault(action, policy_name)
    return Verdict(
        role_name=policies.role_name,
        exists=True,
        allowed=tuple(a for a in actions if a in allowed and a not in denied),
        missing=tuple(a for a in actions if a not in allowed and a not in denied),
        denied=tuple(a for a in actions if a in denied),
        sources=tuple((a, allowed[a]) for a in actions if a in allowed),
        method=LOCAL,
        note=note,
    )
