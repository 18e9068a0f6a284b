"""The drift room: ``popcornctl drift ENV`` — what changed in AWS behind Terraform's back, and what AWS holds that
no stack manages.

Public API (cheap to import; boto3 and Terraform load only when a scan runs):

- :class:`DriftOptions`, :func:`scan` ``(rt, options) -> DriftReport`` (:mod:`.run`: plans through the orchestrate
  room, the unmanaged inventory alongside, ignore rules, CloudTrail);
- :class:`DriftReport` and its records (:mod:`.model`), :data:`SCHEMA_VERSION`, :func:`load_schema` (the JSON
  schema of ``--output json``, ``data/drift.schema.json``);
- :func:`render_text`, :func:`render_markdown` (:mod:`.render`);
- :func:`analyse` (:mod:`.analysis`: one plan JSON → findings), :func:`apply_rules` (:mod:`.ignore`);
- :mod:`.inventory` (one lister per kind of resource behind the ``Lister`` protocol) and :mod:`.state`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from popcornctl.drift.analysis import analyse
from popcornctl.drift.ignore import apply_rules
from popcornctl.drift.model import SCHEMA_VERSION, DriftReport
from popcornctl.drift.render import render_markdown, render_text
from popcornctl.drift.run import DriftOptions, scan

__all__ = [
    "SCHEMA_VERSION",
    "DriftOptions",
    "DriftReport",
    "analyse",
    "apply_rules",
    "load_schema",
    "render_markdown",
    "render_text",
    "scan",
]

SCHEMA_FILE = "drift.schema.json"


def load_schema() -> dict[str, Any]:
    """The JSON schema of the drift report (``popcornctl/data/drift.schema.json``)."""
    text = resources.files("popcornctl").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
