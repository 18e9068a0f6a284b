"""The repository's ``popcorn.toml``: project, backend and environment settings, read in one place.

Backend settings for every stack are computed here and only here, so a stack's key is always its path.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popcornctl.errors import PopcornError
from popcornctl.settings import REPO_MARKER


@dataclass(frozen=True)
class BackendSettings:
    """Where Terraform keeps state and locks for this repository."""

    bucket: str
    lock_table: str
    region: str
    use_lockfile: bool = True
    encrypt: bool = True
    kms_key_id: str | None = None  # the customer key state objects are encrypted with (alias/... or an ARN)

    def key_for(self, stack: str) -> str:
        """The state object key of a stack: its path, e.g. ``envs/dev/terraform.tfstate``."""
        return f"{stack.strip('/')}/terraform.tfstate"

    def backend_config(self, stack: str) -> dict[str, str]:
        """``-backend-config`` values for a stack (what its committed backend.tf must also say)."""
        config = {
            "bucket": self.bucket,
            "key": self.key_for(stack),
            "region": self.region,
            "encrypt": str(self.encrypt).lower(),
            "dynamodb_table": self.lock_table,
            "use_lockfile": str(self.use_lockfile).lower(),
        }
        if self.kms_key_id:
            config["kms_key_id"] = self.kms_key_id
        return config

    def lock_id(self, stack: str) -> str:
        """The DynamoDB ``LockID`` Terraform uses for a stack's state lock."""
        return f"{self.bucket}/{self.key_for(stack)}"


@dataclass(frozen=True)
class Environment:
    """One deployable environment (``dev``, ``prod``) and its stack."""

    name: str
    stack: str
    sandbox_var_file: str | None = None
    protected: bool = False


@dataclass(frozen=True)
class ProjectConfig:
    """Everything ``popcorn.toml`` says."""

    root: Path
    name: str
    region: str
    backend: BackendSettings
    bootstrap_stack: str
    environments: dict[str, Environment] = field(default_factory=dict)
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def environment(self, name: str) -> Environment:
        """The named environment, or a one-line error listing the known ones."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise PopcornError(
                f"unknown environment {name!r}", f"use one of: {known} (defined in {REPO_MARKER})"
            ) from None


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise PopcornError(f"{REPO_MARKER}: [{where}] has no {key!r}", f"add {key} = ... under [{where}]")
    return table[key]


_KMS_KEY = re.compile(r"^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+)$")


def _kms_key_id(value: Any) -> str | None:
    """``[backend] kms_key_id``: absent, an alias name or a key/alias ARN (what S3 and Terraform accept)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _KMS_KEY.match(value) or value.startswith("alias/aws/"):
        raise PopcornError(
            f"[backend] kms_key_id = {value!r} in {REPO_MARKER} is not a KMS key",
            "use the bootstrap key's alias (alias/<project>-tfstate) or its ARN, or remove the line",
        )
    return value


def load_config(root: Path) -> ProjectConfig:
    """Read and check ``popcorn.toml`` at ``root``."""
    path = root / REPO_MARKER
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PopcornError(f"{path} does not exist", "run popcornctl from the repository root") from None
    except tomllib.TOMLDecodeError as exc:
        raise PopcornError(f"{path} is not valid TOML ({exc})", "fix the syntax error it names") from None
    project = data.get("project", {})
    backend = data.get("backend", {})
    region = str(_require(project, "region", "project"))
    settings = BackendSettings(
        bucket=str(_require(backend, "bucket", "backend")),
        lock_table=str(_require(backend, "lock_table", "backend")),
        region=str(backend.get("region", region)),
        use_lockfile=bool(backend.get("use_lockfile", True)),
        encrypt=bool(backend.get("encrypt", True)),
        kms_key_id=_kms_key_id(backend.get("kms_key_id")),
    )
    envs = {
        name: Environment(
            name=name,
            stack=str(_require(spec, "stack", f"environments.{name}")),
            sandbox_var_file=spec.get("sandbox_var_file"),
            protected=bool(spec.get("protected", False)),
        )
        for name, spec in data.get("environments", {}).items()
    }
    deps_raw = data.get("dependencies", {})
    deps: dict[str, tuple[str, ...]] = {}
    for stack, targets in deps_raw.items():
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise PopcornError(
                f"{REPO_MARKER}: [dependencies] {stack!r} must be a list of stack paths",
                'write it as "stack" = ["other/stack", ...]',
            )
        deps[stack.strip("/")] = tuple(t.strip("/") for t in targets)
    return ProjectConfig(
        root=root,
        name=str(project.get("name", root.name)),
        region=region,
        backend=settings,
        bootstrap_stack=str(backend.get("bootstrap_stack", "bootstrap")).strip("/"),
        environments=envs,
        dependencies=deps,
    )
