"""IAM policy documents: no wildcard actions, no write actions on every resource.

Documents are read from ``aws_iam_policy``, ``aws_iam_role_policy``, ``aws_iam_user_policy``,
``aws_iam_group_policy`` (``policy``) and ``aws_iam_role`` (``inline_policy``). When the JSON is known only
after apply (it interpolates an ARN created in the same plan) and comes from an
``aws_iam_policy_document`` data source, that data source's statements are read instead: actions are
usually known even when resources are not. Otherwise the check is "unknown until apply".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, as_list, fail, parse_json, policy, unknown

POLICY_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role")

# Verbs that only read. Anything else (Put, Create, Delete, Update, Attach, Pass, Invoke, "*"...) writes.
READ_VERBS = (
    "Get",
    "List",
    "Describe",
    "BatchGet",
    "Head",
    "Query",
    "Scan",
    "Search",
    "Select",
    "View",
    "Lookup",
    "Check",
    "Validate",
    "Read",
    "Filter",
    "Download",
)
# Write actions AWS only grants on "*" (no resource-level permissions), needed by the platform's services.
STAR_ONLY_ACTIONS = frozenset(
    {
        "xray:puttracesegments",
        "xray:puttelemetryrecords",
        "cloudwatch:putmetricdata",
        "ssmmessages:createcontrolchannel",
        "ssmmessages:createdatachannel",
        "ssmmessages:opencontrolchannel",
        "ssmmessages:opendatachannel",
        "ecr:getauthorizationtoken",
        "ec2:createnetworkinterface",
        "ec2:deletenetworkinterface",
        "ec2:assignprivateipaddresses",
        "ec2:unassignprivateipaddresses",
        "logs:createloggroup",
        "servicediscovery:registerinstance",
        "servicediscovery:deregisterinstance",
    }
)

Statement = dict[str, Any]


def _documents(change: Change, context: Context) -> Iterator[tuple[str, Any]]:
    """(attribute, statements or UNKNOWN) for every policy document the resource carries."""
    if change.type == "aws_iam_role":
        inline = change.get("inline_policy")
        if inline is UNKNOWN:
            if context.configured(change, "inline_policy") is not False:
                yield "inline_policy", UNKNOWN
            return  # no inline policies declared: attached policies are evaluated on their own
        for i, block in enumerate(inline or []):
            doc = parse_json(block.get("policy")) if isinstance(block, dict) else UNKNOWN
            yield f"inline_policy.{i}.policy", _statements(doc)
        return
    doc = change.json("policy")
    if doc is UNKNOWN:
        doc = _from_data_source(change, context)
    yield "policy", _statements(doc)


def _from_data_source(change: Change, context: Context) -> Any:
    """Statements of the aws_iam_policy_document the unknown JSON comes from, else UNKNOWN."""
    refs = [r for r in context.references(change, "policy") if ".data.aws_iam_policy_document." in f".{r}"]
    if len(refs) != 1:
        return UNKNOWN
    values = context.data_for(change, refs[0])
    if not isinstance(values, dict):
        return UNKNOWN
    statements = values.get("statement")
    if statements is UNKNOWN or not isinstance(statements, list):
        return UNKNOWN
    converted = []
    for st in statements:
        if not isinstance(st, dict):
            return UNKNOWN
        effect, not_actions = st.get("effect"), st.get("not_actions")
        converted.append(
            {
                "Effect": "Allow" if effect in (None, "") else effect,
                "Action": st.get("actions"),
                "NotAction": None if not_actions in (None, []) else not_actions,
                "Resource": st.get("resources"),
            }
        )
    return {"Statement": converted}


def _statements(doc: Any) -> Any:
    if doc is UNKNOWN:
        return UNKNOWN
    if not isinstance(doc, dict):
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]


def _allows(statement: Statement) -> bool:
    """True for Allow statements (and for an effect known only after apply: judged as the worse case)."""
    effect = statement.get("Effect", "Allow")
    return effect is UNKNOWN or effect == "Allow"


def _is_write(action: str) -> bool:
    if action in ("*", "*:*"):
        return True
    verb = action.partition(":")[2]
    if action.lower() in STAR_ONLY_ACTIONS:
        return False
    return not verb.startswith(READ_VERBS)


@policy(
    id="POP-IAM-001",
    title='No IAM statement allows every action ("*" or "service:*")',
    severity="high",
    resource_types=POLICY_TYPES,
    rationale="Wildcard actions grant today's and every future API of a service, including the ones that "
    "delete data and change permissions; least privilege lists the actions a service really calls.",
    remediation='List the actions the workload needs (e.g. s3:GetObject, s3:PutObject) instead of "*" or '
    '"s3:*"; never Allow with NotAction.',
)
def iam_no_wildcard_actions(change: Change, context: Context) -> Findings:
    for attribute, statements in _documents(change, context):
        if statements is UNKNOWN:
            yield unknown("the policy document is known only after apply", attribute=attribute)
            continue
        for number, statement in enumerate(statements):
            if not _allows(statement):
                continue
            if statement.get("NotAction") not in (None, [], ""):
                yield fail(
                    f"statement {number} allows every action except {statement['NotAction']!r}", attribute=attribute
                )
                continue
            actions = as_list(statement.get("Action"))
            if UNKNOWN in actions:
                yield unknown(f"statement {number}'s actions are known only after apply", attribute=attribute)
            wild = [a for a in actions if isinstance(a, str) and (a in ("*", "*:*") or a.endswith(":*"))]
            if wild:
                yield fail(f"statement {number} allows {', '.join(sorted(wild))}", attribute=attribute)


@policy(
    id="POP-IAM-002",
    title='No IAM statement allows write actions on every resource ("*")',
    severity="high",
    resource_types=POLICY_TYPES,
    rationale='Write access on Resource "*" lets one compromised task change or delete every bucket, queue '
    "or secret in the account, not just its own.",
    remediation='Scope Resource to the ARNs the workload owns; actions that only support "*" (X-Ray, '
    "PutMetricData, ECR auth token, SSM messages) are allowed.",
)
def iam_no_write_on_star(change: Change, context: Context) -> Findings:
    for attribute, statements in _documents(change, context):
        if statements is UNKNOWN:
            yield unknown("the policy document is known only after apply", attribute=attribute)
            continue
        for number, statement in enumerate(statements):
            if not _allows(statement) or statement.get("NotAction") not in (None, [], ""):
                continue
            resources = as_list(statement.get("Resource"))
            if "*" not in resources:
                if UNKNOWN in resources:
                    yield unknown(f"statement {number}'s resources are known only after apply", attribute=attribute)
                continue
            actions = as_list(statement.get("Action"))
            writes = sorted(a for a in actions if isinstance(a, str) and _is_write(a))
            if writes:
                shown = ", ".join(writes[:5]) + (f" and {len(writes) - 5} more" if len(writes) > 5 else "")
                yield fail(f'statement {number} allows {shown} on Resource "*"', attribute=attribute)
