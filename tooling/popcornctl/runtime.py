"""What every command needs from the global options: the repo, its config, the target, the engine."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from popcornctl.config import ProjectConfig, load_config
from popcornctl.sandbox import Sandbox
from popcornctl.settings import Settings
from popcornctl.target import Target

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.engine import ProcessEngine
    from popcornctl.graph import StackGraph


@dataclass
class Runtime:
    """One invocation's resolved context. ``sandbox=True`` aims everything at the local emulator."""

    settings: Settings
    sandbox: bool = False
    start_sandbox: bool = True

    @cached_property
    def root(self) -> Path:
        """The repository root."""
        return self.settings.repo_root()

    @cached_property
    def config(self) -> ProjectConfig:
        """The repository's popcorn.toml."""
        return load_config(self.root)

    @cached_property
    def graph(self) -> StackGraph:
        """The stack graph of the repository."""
        from popcornctl.graph import StackGraph

        return StackGraph.load(self.config)

    @cached_property
    def sandbox_manager(self) -> Sandbox:
        """The user's sandbox."""
        return Sandbox(self.settings.state_dir)

    @cached_property
    def target(self) -> Target:
        """Real AWS in the config's region, or the sandbox (started if needed and allowed)."""
        region = self.config.region
        if not self.sandbox:
            return Target(region=region)
        manager = self.sandbox_manager
        info = manager.start() if self.start_sandbox else manager.require()
        return info.target(region)

    @cached_property
    def clients(self) -> Clients:
        """boto3 clients aimed at the target."""
        from popcornctl.aws import Clients

        return Clients(self.target)

    @cached_property
    def engine(self) -> ProcessEngine:
        """The Terraform engine with the target's environment."""
        from popcornctl.engine import make_engine

        engine = make_engine(self.settings, self.target.env())
        if self.target.is_sandbox:
            engine.workdir_map = self._sandbox_workdir
        return engine

    def _sandbox_workdir(self, workdir: Path) -> Path:
        """Sandbox runs write nothing into the repository: Terraform runs in a working copy of the folder."""
        from popcornctl.errors import PopcornError
        from popcornctl.sandbox.workcopy import working_copy

        try:
            root = self.root
        except PopcornError:  # no repository (a command that needs none): nothing to keep clean
            return workdir
        return working_copy(workdir, root=root, base=self.sandbox_manager.data_dir / "work")

    def data_dir(self, stack_slug: str) -> Path | None:
        """Terraform's working data dir (``TF_DATA_DIR``) for a stack in this run, if not the default.

        Sandbox runs never touch a stack's own ``.terraform/``: their data lives in the state dir and is
        wiped by ``sandbox reset``/``stop`` (their lock files and errored states too: see :attr:`engine`).
        Real runs use Terraform's default (``<stack>/.terraform``).
        """
        if self.target.is_sandbox:
            return self.sandbox_manager.data_dir / "tfdata" / stack_slug
        return None

    def stack_env(self, stack_slug: str) -> dict[str, str]:
        """Per-stack environment additions for Terraform (``TF_DATA_DIR`` for sandbox runs)."""
        data_dir = self.data_dir(stack_slug)
        return {"TF_DATA_DIR": str(data_dir)} if data_dir else {}
