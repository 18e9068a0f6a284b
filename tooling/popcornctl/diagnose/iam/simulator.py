"""Ask AWS's IAM policy simulator (``iam:SimulatePrincipalPolicy``) whether a role may do something.

The simulator evaluates everything the local fallback cannot: resource ARNs, condition keys (from the context
entries given), permissions boundaries, and AWS managed policies as they are today.
"""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.calls import paginate
from popcornctl.diagnose.iam.questions import SIMULATOR, Question, Verdict


def _decisions(result: dict[str, Any]) -> list[str]:
    decisions = [str(result.get("EvalDecision", "implicitDeny"))]
    decisions += [
        str(r.get("EvalResourceDecision", "implicitDeny")) for r in result.get("ResourceSpecificResults") or []
    ]
    return decisions


def _notes(results: list[dict[str, Any]]) -> list[str]:
    notes: list[str] = []
    missing_keys = sorted({k for r in results for k in r.get("MissingContextValues") or []})
    if missing_keys:
        notes.append("condition keys not supplied: " + ", ".join(missing_keys))
    bounded = [
        str(r.get("EvalActionName"))
        for r in results
        if (r.get("PermissionsBoundaryDecisionDetail") or {}).get("AllowedByPermissionsBoundary") is False
    ]
    if bounded:
        notes.append("blocked by the permissions boundary: " + ", ".join(bounded))
    denied_by_org = [
        str(r.get("EvalActionName"))
        for r in results
        if (r.get("OrganizationsDecisionDetail") or {}).get("AllowedByOrganizations") is False
    ]
    if denied_by_org:
        notes.append("blocked by an SCP: " + ", ".join(denied_by_org))
    return notes


def simulate(iam: Any, question: Question) -> Verdict:
    """The simulator's answer for ``question`` (the role is known to exist)."""
    kwargs: dict[str, Any] = {
        "PolicySourceArn": question.role_arn,
        "ActionNames": list(question.actions),
        "ResourceArns": list(question.resources),
    }
    if question.context:
        kwargs["ContextEntries"] = [
            {"ContextKeyName": c.key, "ContextKeyValues": list(c.values), "ContextKeyType": c.type}
            for c in question.context
        ]
    results: list[dict[str, Any]] = paginate(iam, "simulate_principal_policy", "EvaluationResults", **kwargs)
    decisions: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    for result in results:
        action = str(result.get("EvalActionName"))
        decisions.setdefault(action, []).extend(_decisions(result))
        for statement in result.get("MatchedStatements") or []:
            sources.setdefault(action, str(statement.get("SourcePolicyId", "")))
    asked = question.actions
    denied = tuple(a for a in asked if "explicitDeny" in decisions.get(a, []))
    allowed = tuple(
        a for a in asked if a not in denied and decisions.get(a) and all(d == "allowed" for d in decisions[a])
    )
    return Verdict(
        role_name=question.role_name,
        exists=True,
        allowed=allowed,
        missing=tuple(a for a in asked if a not in allowed and a not in denied),
        denied=denied,
        sources=tuple((a, sources[a]) for a in allowed if sources.get(a)),
        method=SIMULATOR,
        note="; ".join(_notes(results)),
    )
