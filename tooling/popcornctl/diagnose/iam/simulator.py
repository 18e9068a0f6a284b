"""Ask AWS's IAM policy simulator (``iam:SimulatePrincipalPolicy``) whether a role may do something.

The simulator evaluates everything the local fallback cannot: resource ARNs, condition keys (from the context
entries given), permissions boundaries, SCPs, and AWS managed policies as they are today. Questions about the
same role and actions that differ only in their resources (each service's own log group or repository) are
asked in ONE call with every resource; each question's answer is read from the per-resource results.
"""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.calls import paginate
from popcornctl.diagnose.iam.questions import SIMULATOR, Question, Verdict


def merged(questions: list[Question]) -> Question:
    """One question covering the resources of ``questions`` (same role, actions and context)."""
    first = questions[0]
    resources = tuple(dict.fromkeys(r for q in questions for r in q.resources))
    return Question(first.role_arn, first.actions, resources, first.context)


def _request(question: Question) -> dict[str, Any]:
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
    return kwargs


def simulate(iam: Any, question: Question) -> list[dict[str, Any]]:
    """The simulator's EvaluationResults for ``question`` (all pages)."""
    return paginate(iam, "simulate_principal_policy", "EvaluationResults", **_request(question))


def _decisions(result: dict[str, Any], resources: tuple[str, ...]) -> list[str]:
    top = str(result.get("EvalDecision", "implicitDeny"))
    per_resource = {
        str(r.get("EvalResourceName")): str(r.get("EvalResourceDecision", "implicitDeny"))
        for r in result.get("ResourceSpecificResults") or []
    }
    if not per_resource:
        return [top]
    return [per_resource.get(resource, top) for resource in resources]


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
    by_scp = [
        str(r.get("EvalActionName"))
        for r in results
        if (r.get("OrganizationsDecisionDetail") or {}).get("AllowedByOrganizations") is False
    ]
    if by_scp:
        notes.append("blocked by an SCP: " + ", ".join(by_scp))
    return notes


def verdict(results: list[dict[str, Any]], question: Question) -> Verdict:
    """The answer to ``question`` read from the results of a (possibly merged) simulation."""
    decisions: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    for result in results:
        action = str(result.get("EvalActionName"))
        decisions.setdefault(action, []).extend(_decisions(result, question.resources))
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
