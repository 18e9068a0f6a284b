"""Where and how Terraform runs for one stack: its folder, environment, data dir, backend, variable files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from popcornctl.orchestrate import bootstrap as boot

if TYPE_CHECKING:
    from popcornctl.config import Environment
    from popcornctl.graph import Stack
    from popcornctl.runtime import Runtime


@dataclass
class Workspace:
    """Where and how Terraform runs for one stack in this run."""

    stack: Stack
    workdir: Path
    env: dict[str, str]
    data_dir: Path
    backend: dict[str, str] | None  # -backend-config values; None in bootstrap's local phase
    var_files: list[Path]
    targets: list[str]
    local: boot.LocalPhase | None = None  # set while bootstrap runs on local state

    @property
    def init_key(self) -> dict[str, str]:
        """What the init fingerprint records about the backend."""
        if self.local is not None:
            return {"local": str(self.local.state_file)}
        return dict(self.backend or {})


@dataclass(frozen=True)
class Workspaces:
    """Makes the workspaces of one run (or of one ``policy-check --env`` plan)."""

    rt: Runtime
    env: Environment
    run_dir: Path
    targets: Mapping[str, list[str]]

    def for_stack(self, stack: Stack) -> Workspace:
        """The stack's own folder on its remote backend."""
        rt = self.rt
        data_dir = rt.data_dir(stack.slug) or stack.directory / ".terraform"
        var_files: list[Path] = []
        if rt.target.is_sandbox and self.env.sandbox_var_file:
            candidate = stack.directory / self.env.sandbox_var_file
            if candidate.is_file():
                var_files.append(candidate.resolve())
        return Workspace(
            stack=stack,
            workdir=stack.directory,
            env={**rt.stack_env(stack.slug), "POPCORN_RESCUE_DIR": str(self.run_dir / "rescued-state")},
            data_dir=data_dir,
            backend=rt.config.backend.backend_config(stack.path),
            var_files=var_files,
            targets=list(self.targets.get(stack.path, [])),
        )

    def local(self, stack: Stack, phase: boot.LocalPhase) -> Workspace:
        """Bootstrap's local phase: its shadow tree, on local state (see :mod:`.bootstrap`)."""
        ws = self.for_stack(stack)
        phase.base.mkdir(parents=True, exist_ok=True, mode=0o700)
        return replace(
            ws,
            workdir=boot.build_shadow(self.rt.root, stack.path, phase),
            data_dir=phase.data_dir,
            env={**ws.env, "TF_DATA_DIR": str(phase.data_dir)},
            backend=None,
            local=phase,
        )
