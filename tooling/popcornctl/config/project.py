"""The repository's ``popcorn.toml``: project, backend and environment settings, read in one place.

The file's shape is the models below (every key typed; an unknown key or a wrong type is refused with one
line before anything runs). :func:`load_config` resolves it into :class:`ProjectConfig`, which the rest of
popcornctl uses. Backend settings for every stack are computed here and only here, so a stack's key is always
its path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from popcornctl.common.tomlfile import read_toml
from popcornctl.config.drift import DriftTable
from popcornctl.config.model import Where, parse, spec
from popcornctl.errors import PopcornError
from popcornctl.settings import REPO_MARKER

# -- the file --------------------------------------------------------------------------------------------

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_KMS_KEY = re.compile(r"^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+)$")


def _region(value: str) -> str | None:
    return None if _REGION.match(value) else "is not an AWS region"


def _filled(value: str) -> str | None:
    return None if value.strip() else "is empty"


def _kms_key(value: str) -> str | None:
    """An alias name or a key/alias ARN (what S3 and Terraform accept); AWS-managed aliases are not ours."""
    if _KMS_KEY.match(value) and not value.startswith("alias/aws/"):
        return None
    return "is not a KMS key"


def _relative_path(value: str) -> str | None:
    # Leading and trailing slashes have always been read as relative to the repository root ("/envs/dev/").
    path = PurePosixPath(value.strip("/"))
    if not value.strip("/ ") or ".." in path.parts:
        return "is not a path inside the repository"
    return None


def _stack_paths(value: dict[str, list[str]]) -> str | None:
    for stack, targets in value.items():
        for path in (stack, *targets):
            if _relative_path(path):
                return f"names {path!r}, which is not a stack path inside the repository"
    return None


@dataclass(frozen=True)
class ProjectTable:
    """``[project]``."""

    region: str = field(metadata=spec(example='region = "ap-northeast-2"', check=_region))
    name: str | None = field(default=None, metadata=spec(example='name = "goorm-popcorn"'))


@dataclass(frozen=True)
class BackendTable:
    """``[backend]``: where Terraform keeps state and locks."""

    bucket: str = field(metadata=spec(example='bucket = "goorm-popcorn-tfstate"', check=_filled))
    # "" means no DynamoDB table: the S3 lockfile alone (use_lockfile = true) holds the lock
    lock_table: str = field(metadata=spec(example='lock_table = "goorm-popcorn-tf-locks"'))
    region: str | None = field(default=None, metadata=spec(example='region = "ap-northeast-2"', check=_region))
    use_lockfile: bool = field(default=True, metadata=spec(example="use_lockfile = true"))
    encrypt: bool = field(default=True, metadata=spec(example="encrypt = true"))
    kms_key_id: str | None = field(
        default=None,
        metadata=spec(
            example='kms_key_id = "alias/goorm-popcorn-tfstate"',
            check=_kms_key,
            fix="use the bootstrap key's alias (alias/<project>-tfstate) or its ARN, or remove the line",
        ),
    )
    bootstrap_stack: str = field(
        default="bootstrap",
        metadata=spec(example='bootstrap_stack = "bootstrap"', check=_relative_path),
    )


@dataclass(frozen=True)
class EnvironmentTable:
    """``[environments.NAME]``."""

    stack: str = field(metadata=spec(example='stack = "envs/dev"', check=_relative_path))
    sandbox_var_file: str | None = field(
        default=None,
        metadata=spec(example='sandbox_var_file = "sandbox.tfvars"', check=_relative_path),
    )
    protected: bool = field(default=False, metadata=spec(example="protected = true"))


@dataclass(frozen=True)
class PopcornToml:
    """The whole file."""

    project: ProjectTable = field(metadata=spec(example='[project] with region = "ap-northeast-2"'))
    backend: BackendTable = field(metadata=spec(example='[backend] with bucket = "..." and lock_table = "..."'))
    environments: dict[str, EnvironmentTable] = field(
        default_factory=dict,
        metadata=spec(example='[environments.dev] with stack = "envs/dev"'),
    )
    dependencies: dict[str, list[str]] = field(
        default_factory=dict,
        metadata=spec(example='"envs/dev" = ["global/ecr"] under [dependencies]', check=_stack_paths),
    )
    drift: DriftTable = field(
        default_factory=DriftTable,
        metadata=spec(example="[[drift.ignore]] with address and reason"),
    )


# -- what the rest of popcornctl uses ---------------------------------------------------------------------


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
    drift: DriftTable = field(default_factory=DriftTable)  # [drift]: what `popcornctl drift` expects to move

    def environment(self, name: str) -> Environment:
        """The named environment, or a one-line error listing the known ones."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise PopcornError(
                f"unknown environment {name!r}", f"use one of: {known} (defined in {REPO_MARKER})"
            ) from None


def load_config(root: Path) -> ProjectConfig:
    """Read and check ``popcorn.toml`` at ``root``."""
    path = root / REPO_MARKER
    data = read_toml(path, missing_fix="run popcornctl from the repository root")
    toml = parse(PopcornToml, data, Where(REPO_MARKER))
    project, backend = toml.project, toml.backend
    return ProjectConfig(
        root=root,
        name=project.name or root.name,
        region=project.region,
        backend=BackendSettings(
            bucket=backend.bucket,
            lock_table=backend.lock_table,
            region=backend.region or project.region,
            use_lockfile=backend.use_lockfile,
            encrypt=backend.encrypt,
            kms_key_id=backend.kms_key_id,
        ),
        bootstrap_stack=backend.bootstrap_stack.strip("/"),
        environments={
            name: Environment(name=name, stack=spec.stack, sandbox_var_file=spec.sandbox_var_file,
                              protected=spec.protected)
            for name, spec in toml.environments.items()
        },
        dependencies={
            stack.strip("/"): tuple(t.strip("/") for t in targets) for stack, targets in toml.dependencies.items()
        },
        drift=toml.drift,
    )
