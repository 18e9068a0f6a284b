"""What a role may do and what a key or bucket lets services do, read from a real plan before anything exists.

Policy documents are often known only after apply (an ARN of a resource created in the same apply); their
statements are not: `aws_iam_policy_document` data sources read at apply still show each statement's actions,
principals and conditions in the plan, and every `source_policy_documents` entry can be followed through the
configuration to the document it comes from (across module variables and outputs, popcornctl's reference index).
Resources unknown at plan time come back as None.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from envsupport import config_address, references

from popcornctl.policy.addresses import parse_address


@dataclass(frozen=True)
class Statement:
    """One IAM statement; ``resources`` entries are None where the ARN is known only after apply."""

    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str | None, ...]
    principals: tuple[tuple[str, str], ...] = ()  # (type, identifier)
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default=())  # (test, variable, values)

    def grants(self, action: str, resource: str | None = None) -> bool:
        """True when this Allow covers ``action`` on ``resource`` (None: on anything, e.g. an unknown key ARN)."""
        if self.effect != "Allow" or not any(fnmatch.fnmatch(action.lower(), a.lower()) for a in self.actions):
            return False
        if resource is None:
            return True
        return any(r is not None and fnmatch.fnmatchcase(resource, r) for r in self.resources)

    def condition(self, variable: str) -> list[str]:
        return [v for _t, var, values in self.conditions if var.lower() == variable.lower() for v in values]


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def from_json(document: str | Mapping[str, Any]) -> list[Statement]:
    """Statements of a policy JSON document."""
    doc = json.loads(document) if isinstance(document, str) else document
    raw = doc.get("Statement") or []
    out = []
    for s in [raw] if isinstance(raw, dict) else raw:
        principals = []
        principal = s.get("Principal")
        if principal == "*":
            principals.append(("AWS", "*"))
        elif isinstance(principal, Mapping):
            principals.extend((k, i) for k, ids in principal.items() for i in _as_tuple(ids))
        conditions = [(test, var, tuple(str(v) for v in _as_tuple(vals)))
                      for test, block in (s.get("Condition") or {}).items() for var, vals in block.items()]
        out.append(Statement(
            sid=str(s.get("Sid", "")), effect=s.get("Effect", "Allow"), actions=_as_tuple(s.get("Action")),
            resources=_as_tuple(s.get("Resource")), principals=tuple(principals), conditions=tuple(conditions),
        ))
    return out


def _from_block(block: Mapping[str, Any]) -> Statement:
    return Statement(
        sid=str(block.get("sid") or ""),
        effect=block.get("effect") or "Allow",
        actions=_as_tuple(block.get("actions")),
        resources=_as_tuple(block.get("resources")),
        principals=tuple((p["type"], i) for p in block.get("principals") or [] for i in p.get("identifiers") or []),
        conditions=tuple((c["test"], c["variable"], tuple(c.get("values") or [])) for c in block.get("condition") or []),
    )


_INDEX: dict[int, dict[str, Mapping[str, Any]]] = {}


def _instances(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every resource instance of the plan, data sources read during plan (prior_state) included, in the shape of a
    resource change."""
    if id(plan) not in _INDEX:
        found: dict[str, Mapping[str, Any]] = {}

        def walk(module: Mapping[str, Any]) -> None:
            for res in module.get("resources") or []:
                found[res["address"]] = {"address": res["address"], "mode": res.get("mode"), "type": res.get("type"),
                                         "change": {"actions": ["read"], "after": res.get("values") or {}}}
            for child in module.get("child_modules") or []:
                walk(child)

        walk(((plan.get("prior_state") or {}).get("values") or {}).get("root_module") or {})
        found.update({rc["address"]: rc for rc in plan["resource_changes"]})
        _INDEX[id(plan)] = found
    return _INDEX[id(plan)]


def counterpart(plan: Mapping[str, Any], target_config: str, near: str) -> list[str]:
    """Instances of ``target_config`` that ``near`` refers to: those in the same module instances, with the same
    for_each key when the target has one (a keyed document for a keyed role policy), else its only instance."""
    from popcornctl.policy.api import same_instances

    here = parse_address(near)
    found = [a for a in _instances(plan) if config_address(a) == target_config and same_instances(a, near)]
    if here is None:
        return found
    keys = {a: p.key for a in found if (p := parse_address(a))}
    same_key = [a for a in found if here.key and keys.get(a) == here.key]
    if same_key:
        return same_key
    unkeyed = [a for a in found if not keys.get(a)]
    # A count = 1 singleton ([0]) belongs to every instance that refers to it.
    return unkeyed or (found if len(found) == 1 else [])


def document_statements(plan: Mapping[str, Any], address: str, _seen: frozenset[str] = frozenset()) -> list[Statement]:
    """The statements of an ``aws_iam_policy_document`` instance, its source documents included."""
    if address in _seen:
        return []
    rc = _instances(plan)[address]
    after = rc["change"].get("after") or {}
    unknown = rc["change"].get("after_unknown") or {}
    if isinstance(after.get("json"), str) and after["json"]:
        return from_json(after["json"])
    out = [_from_block(b) for b in after.get("statement") or []]
    sources = after.get("source_policy_documents")
    if isinstance(sources, list) and unknown.get("source_policy_documents") in (None, False) and \
            not any(unknown.get("source_policy_documents") or []):
        for doc in sources:
            out.extend(from_json(doc))
    else:
        for target in sorted(references(plan, address, "source_policy_documents")):
            for source in counterpart(plan, target, address):
                out.extend(document_statements(plan, source, _seen | {address}))
    return out


def policy_statements(plan: Mapping[str, Any], address: str, attribute: str = "policy") -> list[Statement]:
    """The statements of a JSON policy attribute (role policy, key policy, bucket policy, topic policy)."""
    rc = _instances(plan)[address]
    value = (rc["change"].get("after") or {}).get(attribute)
    if isinstance(value, str) and value:
        return from_json(value)
    out: list[Statement] = []
    for target in sorted(references(plan, address, attribute)):
        for doc in counterpart(plan, target, address):
            out.extend(document_statements(plan, doc))
    return out


MANAGED_POLICY_ACTIONS = {
    # The actions of the AWS managed policies we attach that the features below rely on (AWS Managed Policy
    # Reference Guide).
    "AmazonSSMManagedInstanceCore": ("ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                                     "ssmmessages:OpenDataChannel", "ec2messages:GetMessages"),
    "CloudWatchAgentServerPolicy": ("cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents",
                                    "logs:DescribeLogStreams", "ec2:DescribeTags"),
    "AmazonRDSEnhancedMonitoringRole": ("logs:CreateLogGroup", "logs:PutLogEvents", "logs:CreateLogStream"),
}


def role_statements(plan: Mapping[str, Any], role: str) -> list[Statement]:
    """Everything a role instance may do: its inline policies and the AWS managed policies attached to it."""
    out: list[Statement] = []
    for rc in plan["resource_changes"]:
        if rc.get("mode") != "managed" or rc["type"] not in ("aws_iam_role_policy", "aws_iam_role_policy_attachment"):
            continue
        if config_address(role) not in references(plan, rc["address"], "role"):
            continue
        if role not in counterpart(plan, config_address(role), rc["address"]):
            continue
        if rc["type"] == "aws_iam_role_policy":
            out.extend(policy_statements(plan, rc["address"]))
        else:
            arn = (rc["change"].get("after") or {}).get("policy_arn") or ""
            name = arn.rsplit("/", 1)[-1]
            out.append(Statement(sid=f"managed:{name}", effect="Allow",
                                 actions=MANAGED_POLICY_ACTIONS.get(name, ()), resources=("*",)))
    return out


def roles_behind(plan: Mapping[str, Any], address: str, attribute: str) -> list[str]:
    """The role instances a resource's attribute names (through an instance profile too)."""
    found = []
    for target in sorted(references(plan, address, attribute)):
        if target.split(".")[-2] == "aws_iam_instance_profile":
            for profile in counterpart(plan, target, address):
                found.extend(roles_behind(plan, profile, "role"))
        elif target.split(".")[-2] == "aws_iam_role":
            found.extend(counterpart(plan, target, address))
    return found


def grants(statements: Iterable[Statement], action: str, resource: str | None = None) -> bool:
    return any(s.grants(action, resource) for s in statements)
