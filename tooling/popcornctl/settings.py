"""Where things are: the repository root, the user's state directory, and tool settings.

Settings come from global CLI options first, then environment variables:

- ``POPCORN_STATE_DIR``: the user's state directory (default ``$XDG_STATE_HOME/popcornctl`` or
  ``~/.local/state/popcornctl``): sandbox pid/port, plugin cache, audit log, run records.
- ``POPCORN_TERRAFORM``: path of a system ``terraform`` binary to use instead of the embedded engine.
- ``POPCORN_PROVIDER_MIRROR``: a Terraform filesystem provider mirror directory; when it holds ``hashicorp/aws``,
  popcornctl writes a CLI config with ``provider_installation { filesystem_mirror { path = ... } }`` and uses it
  (a folder without the provider is reported and ignored; unset, ``/opt/tf-plugins`` is used when it holds the
  provider: :mod:`popcornctl.engine.env`).
- ``POPCORN_PLUGIN_CACHE_DIR``: the shared ``TF_PLUGIN_CACHE_DIR`` (default ``<state dir>/plugin-cache``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from popcornctl.errors import PopcornError

REPO_MARKER = "popcorn.toml"


def find_repo_root(start: Path | None = None) -> Path:
    """Walk up from ``start`` (default: the working directory) to the folder holding ``popcorn.toml``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / REPO_MARKER).is_file():
            return candidate
    raise PopcornError(
        f"no {REPO_MARKER} found in {here} or any parent",
        "run popcornctl inside the popcorn-infra repository or pass --repo PATH",
    )


def terraform_binary(value: str) -> str:
    """The absolute path of the terraform binary ``value`` names (a path, or a program on PATH)."""
    fix = "pass a terraform binary, or drop --terraform / unset POPCORN_TERRAFORM to use the embedded engine"
    shown = f"--terraform {value}"
    path = Path(value).expanduser()
    if "/" not in value and not path.exists():
        found = shutil.which(value)
        if not found:
            raise PopcornError(f"{shown}: no program {value!r} on PATH", fix)
        path = Path(found)
    if not path.exists():
        raise PopcornError(f"{shown} does not exist", fix)
    if path.is_dir():
        raise PopcornError(f"{shown} is a folder, not a program", fix)
    if not os.access(path, os.X_OK):
        raise PopcornError(f"{shown} is not executable", fix)
    return str(path.resolve())


def default_state_dir() -> Path:
    """The user's state directory, honouring ``POPCORN_STATE_DIR`` and ``XDG_STATE_HOME``."""
    explicit = os.environ.get("POPCORN_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "popcornctl"


@dataclass
class Settings:
    """Resolved global settings of one popcornctl invocation."""

    repo: Path | None = None
    output: str = "text"
    verbose: bool = False
    color: bool = True
    state_dir: Path = field(default_factory=default_state_dir)
    terraform: str | None = field(default_factory=lambda: os.environ.get("POPCORN_TERRAFORM") or None)
    provider_mirror: Path | None = field(
        default_factory=lambda: Path(p) if (p := os.environ.get("POPCORN_PROVIDER_MIRROR")) else None
    )

    @property
    def plugin_cache_dir(self) -> Path:
        """The shared provider plugin cache, so N stacks share one provider copy."""
        explicit = os.environ.get("POPCORN_PLUGIN_CACHE_DIR")
        return Path(explicit).expanduser() if explicit else self.state_dir / "plugin-cache"

    def repo_root(self) -> Path:
        """The repository root: ``--repo`` if given, else found by walking up from the cwd."""
        if self.repo is not None:
            root = self.repo.resolve()
            if not (root / REPO_MARKER).is_file():
                raise PopcornError(
                    f"--repo {self.repo} has no {REPO_MARKER}",
                    "point --repo at the popcorn-infra repository root",
                )
            return root
        return find_repo_root()

    def check_terraform(self) -> None:
        """Refuse, before anything runs, a ``--terraform``/``POPCORN_TERRAFORM`` that is not an executable file.

        Without this a bad path surfaced late: per stack with exit 1 (a missing file), or as an internal
        PermissionError (a file that is not a program).
        """
        if self.terraform:
            self.terraform = terraform_binary(self.terraform)

    def ensure_state_dir(self) -> Path:
        """Create the state directory (private to the user) and return it."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.state_dir
