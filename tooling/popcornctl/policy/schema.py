"""The JSON Schema of ``policy-check --output json`` (schema_version 1), documented in docs/POLICIES.md.

Stability promise: within ``schema_version`` 1 fields are only added, never renamed, removed or given
another meaning; consumers should ignore fields they do not know.
"""

from __future__ import annotations

from typing import Any

from popcornctl.common.severity import ALL_SEVERITIES, RATED_SEVERITIES

_SEVERITY = {"enum": list(ALL_SEVERITIES)}
_NULLABLE_STR = {"type": ["string", "null"]}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://popcorn-infra.invalid/schemas/policy-check-report-v1.json",
    "title": "popcornctl policy-check report",
    "type": "object",
    "required": [
        "schema_version",
        "tool",
        "generated_at",
        "fail_on",
        "passed",
        "exit_code",
        "static",
        "environment",
        "inputs",
        "summary",
        "findings",
        "waivers",
        "checkov",
        "policies",
        "warnings",
    ],
    "properties": {
        "schema_version": {"const": 1, "description": "Bumped only for incompatible changes."},
        "tool": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
        "generated_at": {"type": "string", "description": "UTC time of the run, ISO 8601."},
        "fail_on": {
            "enum": [*RATED_SEVERITIES, "unknown"],
            "description": "The gate's threshold (unknown: low, and anything not evaluated blocks too).",
        },
        "passed": {"type": "boolean", "description": "True when no finding is blocking."},
        "exit_code": {"enum": [0, 1], "description": "0 passed, 1 blocked (input errors exit 2 with no report)."},
        "static": {"type": "boolean", "description": "True for `policy-check DIR` (configuration, no plan)."},
        "environment": {**_NULLABLE_STR, "description": "The environment of every input; null if unknown or mixed."},
        "inputs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["source", "kind", "stack", "environment", "environment_source", "resource_changes"],
                "properties": {
                    "source": {"type": "string"},
                    "kind": {"enum": ["plan", "directory"]},
                    "stack": _NULLABLE_STR,
                    "environment": _NULLABLE_STR,
                    "environment_source": {
                        "type": "string",
                        "description": "--env, plan variable NAME, provider default_tags, popcorn.toml, or unknown.",
                    },
                    "terraform_version": _NULLABLE_STR,
                    "format_version": _NULLABLE_STR,
                    "resource_changes": {"type": "integer", "minimum": 0},
                },
            },
        },
        "summary": {
            "type": "object",
            "required": [
                "fail",
                "errors",
                "expired_waivers",
                "waived",
                "unknown",
                "blocking",
                "policies_run",
                "policies_total",
                "checks_evaluated",
                "resources_evaluated",
            ],
            "properties": {
                "fail": {
                    "type": "object",
                    "description": "Failed findings per severity (waived ones not included).",
                    "required": list(ALL_SEVERITIES),
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
                "errors": {"type": "integer", "minimum": 0},
                "expired_waivers": {"type": "integer", "minimum": 0},
                "waived": {"type": "integer", "minimum": 0},
                "unknown": {"type": "integer", "minimum": 0},
                "blocking": {"type": "integer", "minimum": 0},
                "policies_run": {"type": "integer", "minimum": 0},
                "policies_total": {"type": "integer", "minimum": 0},
                "checks_evaluated": {"type": "integer", "minimum": 0},
                "resources_evaluated": {"type": "integer", "minimum": 0},
            },
        },
        "findings": {
            "type": "array",
            "description": "Every result, ordered: errors, expired waivers, failures (by severity), unknown, waived.",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "source",
                    "title",
                    "severity",
                    "status",
                    "blocking",
                    "stack",
                    "address",
                    "resource_type",
                    "actions",
                    "message",
                    "attribute",
                    "file",
                    "line",
                    "remediation",
                    "guideline",
                    "also_reported_by",
                    "waiver",
                ],
                "properties": {
                    "id": {"type": "string", "description": "POP-AREA-nnn (ours) or a Checkov id (CKV_AWS_17)."},
                    "source": {"enum": ["popcorn", "checkov", "waivers"]},
                    "title": {"type": "string"},
                    "severity": _SEVERITY,
                    "status": {
                        "enum": ["fail", "error", "expired", "waived", "unknown"],
                        "description": "fail: violated; error: the policy raised; expired: a waiver ran out; "
                        "waived: covered by a current waiver; unknown: decided only after apply.",
                    },
                    "blocking": {"type": "boolean"},
                    "stack": _NULLABLE_STR,
                    "address": {"type": "string", "description": "Terraform resource address (or waiver glob)."},
                    "resource_type": _NULLABLE_STR,
                    "actions": {"type": "array", "items": {"type": "string"}},
                    "message": {"type": "string"},
                    "attribute": _NULLABLE_STR,
                    "file": {**_NULLABLE_STR, "description": "Repository-relative path of the declaring block."},
                    "line": {"type": ["integer", "null"], "minimum": 1},
                    "remediation": {"type": "string"},
                    "guideline": _NULLABLE_STR,
                    "also_reported_by": {"type": "array", "items": {"type": "string"}},
                    "waiver": {
                        "type": ["object", "null"],
                        "properties": {
                            "reason": {"type": "string"},
                            "expires": {"type": "string", "format": "date"},
                            "approved_by": {"type": "string"},
                            "entry": {"type": "integer"},
                            "file": {"type": "string", "description": "The waivers file that holds it."},
                            "expired": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "waivers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "address", "reason", "expires", "approved_by", "state", "matched"],
                "properties": {
                    "id": {"type": "string"},
                    "address": {"type": "string"},
                    "reason": {"type": "string"},
                    "expires": {"type": "string", "format": "date"},
                    "approved_by": {"type": "string"},
                    "state": {"enum": ["active", "expired", "unmatched"]},
                    "matched": {"type": "integer", "minimum": 0},
                },
            },
        },
        "checkov": {
            "type": "object",
            "required": ["ran", "version", "failed", "merged", "superseded", "reason"],
            "properties": {
                "ran": {"type": "boolean"},
                "version": _NULLABLE_STR,
                "failed": {"type": "integer", "minimum": 0},
                "merged": {"type": "integer", "minimum": 0},
                "superseded": {
                    "type": "array",
                    "description": "Checkov failures folded into the equivalent policy of ours that evaluated "
                    "the same resource (our_verdict: fail, pass or unknown).",
                    "items": {
                        "type": "object",
                        "required": ["check_id", "address", "by", "our_verdict"],
                        "properties": {
                            "check_id": {"type": "string"},
                            "address": {"type": "string"},
                            "by": {"type": "string"},
                            "our_verdict": {"enum": ["fail", "pass", "unknown"]},
                        },
                    },
                },
                "reason": _NULLABLE_STR,
            },
        },
        "policies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "title",
                    "severity",
                    "resource_types",
                    "environments",
                    "status",
                    "evaluated",
                    "failed",
                    "unknown",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "severity": _SEVERITY,
                    "resource_types": {"type": "array", "items": {"type": "string"}},
                    "environments": {"type": "array", "items": {"type": "string"}},
                    "status": {
                        "enum": ["ran", "not-applicable", "other-environment", "environment-unknown", "needs-plan"]
                    },
                    "evaluated": {"type": "integer", "minimum": 0},
                    "failed": {"type": "integer", "minimum": 0},
                    "unknown": {"type": "integer", "minimum": 0},
                },
            },
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
