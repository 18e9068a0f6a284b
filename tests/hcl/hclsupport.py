"""Shared helpers of the module and stack plan tests: portable copies of a folder, plans against the sandbox,
and reading plan JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfhelpers import resources

WORLD = "0.0.0.0/0"
# The retention values CloudWatch Logs accepts.
CLOUDWATCH_RETENTION = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)


def portable_copy(folder: Path, dest: Path, local_backend: bool = False) -> Path:
    """Copy a Terraform folder's files, making relative module sources absolute (and the backend local)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file() and path.suffix in {".tf", ".tfvars", ".tpl", ".sh"}:
            text = path.read_text()
            if path.suffix == ".tf":
                text = re.sub(
                    r'(source\s*=\s*")(\.{1,2}/[^"]*)(")',
                    lambda m: m.group(1) + (folder / m.group(2)).resolve().as_posix() + m.group(3),
                    text,
                )
            (dest / path.name).write_text(text)
    if local_backend:
        (dest / "sandbox_local_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return dest


def plan(
    tf_session: Any,
    moto_server: Any,
    folder: Path,
    variables: Mapping[str, str] | None = None,
    var_files: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """init + plan + show -json; a folder with a backend override (a stack copy) is initialised with its backend."""
    backend = any(folder.glob("*_override.tf"))
    return tf_session.plan_json(
        folder, sandbox=moto_server, variables=variables or {}, var_files=var_files, backend=backend
    )


def of_type(planned: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return resources(planned, rtype)


def one(planned: dict[str, Any], rtype: str) -> dict[str, Any]:
    found = of_type(planned, rtype)
    assert len(found) == 1, f"expected one {rtype}, planned {[r['address'] for r in found]}"
    return found[0]["values"]


def statements(policy_json: str) -> list[dict[str, Any]]:
    assert isinstance(policy_json, str) and policy_json, "policy not known at plan time"
    doc = json.loads(policy_json)
    return [doc["Statement"]] if isinstance(doc["Statement"], dict) else doc["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
