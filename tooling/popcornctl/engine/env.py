"""The environment every Terraform run gets, and where the AWS provider comes from.

Every run: ``CHECKPOINT_DISABLE=1`` (no phoning home), ``TF_IN_AUTOMATION=1``, ``TF_INPUT=0`` and a shared
``TF_PLUGIN_CACHE_DIR`` so N stacks share one provider copy.

Where providers come from (:func:`provider_source`), so that one command works offline and online:

1. ``POPCORN_PROVIDER_MIRROR`` names a filesystem mirror that holds ``hashicorp/aws``: that mirror, and only it.
2. ``POPCORN_PROVIDER_MIRROR`` names a folder without ``hashicorp/aws`` (a leftover setting, a path from another
   machine): one line says so and Terraform installs providers its own way (the registry, the user's CLI config).
3. Unset: the default mirror location (:data:`DEFAULT_MIRROR`, ``/opt/tf-plugins``) is used when it holds
   ``hashicorp/aws`` and the user has no CLI config of their own (a ``TF_CLI_CONFIG_FILE`` naming a file that
   exists); otherwise Terraform's own
   installation (registry, CLI config, implied local mirrors).

For a mirror popcornctl writes a small CLI config in its state directory (``provider_installation`` with that
``filesystem_mirror`` only: an offline machine must never fall back to the network).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from popcornctl.settings import Settings

# Where a machine without internet keeps `terraform providers mirror` output when POPCORN_PROVIDER_MIRROR is unset.
DEFAULT_MIRROR = Path("/opt/tf-plugins")
# What a mirror must hold to be used: the one provider every stack needs.
AWS_PROVIDER = Path("registry.terraform.io/hashicorp/aws")


@dataclass(frozen=True)
class ProviderSource:
    """Where Terraform installs providers from in this invocation."""

    mirror: Path | None  # a filesystem mirror, or None for Terraform's own installation (the registry)
    origin: str  # "POPCORN_PROVIDER_MIRROR", "default location" or "terraform"
    note: str | None = None  # one line for the user when a named mirror is not used

    def describe(self) -> str:
        """``filesystem mirror /opt/tf-plugins (default location)`` or ``Terraform's own installation``."""
        if self.mirror is not None:
            return f"filesystem mirror {self.mirror} ({self.origin})"
        return "Terraform's own installation (registry.terraform.io, or the CLI config's provider_installation)"


def has_aws_provider(mirror: Path) -> bool:
    """True when ``mirror`` is a filesystem mirror holding ``hashicorp/aws``."""
    return (mirror / AWS_PROVIDER).is_dir()


def provider_source(
    named: Path | None, default: Path | None = None, *, user_cli_config: bool = False
) -> ProviderSource:
    """Decide where providers come from (see the module docstring); ``user_cli_config``: TF_CLI_CONFIG_FILE is set.

    ``default``: the default mirror location (:data:`DEFAULT_MIRROR` unless given).
    """
    default = DEFAULT_MIRROR if default is None else default
    if named is not None:
        if has_aws_provider(named):
            return ProviderSource(named, "POPCORN_PROVIDER_MIRROR")
        return ProviderSource(
            None,
            "terraform",
            f"POPCORN_PROVIDER_MIRROR={named} has no {AWS_PROVIDER.as_posix()}: ignored, Terraform installs "
            "providers from the registry (unset it, or point it at a `terraform providers mirror` folder)",
        )
    if not user_cli_config and has_aws_provider(default):
        return ProviderSource(default, "default location")
    return ProviderSource(None, "terraform")


def has_user_cli_config(env: Mapping[str, str]) -> bool:
    """Whether ``env`` names a Terraform CLI config file that exists (a variable naming a missing file configures
    nothing: Terraform only warns that it cannot open it)."""
    named = env.get("TF_CLI_CONFIG_FILE")
    return bool(named) and Path(str(named)).expanduser().is_file()


_noted: set[str] = set()


def _tell_once(note: str) -> None:
    """Print ``note`` on stderr once per process (every engine of a command shares the decision)."""
    if note not in _noted:
        _noted.add(note)
        print(f"popcornctl: note: {note}", file=sys.stderr)


def mirror_cli_config(settings: Settings, *, user_cli_config: bool = False) -> Path | None:
    """Write (if needed) and return the CLI config that installs providers from the chosen mirror, if any."""
    source = provider_source(settings.provider_mirror, user_cli_config=user_cli_config)
    if source.note:
        _tell_once(source.note)
    if source.mirror is None:
        return None
    path = settings.ensure_state_dir() / "terraform-mirror.tfrc"
    text = (
        f"# Written by popcornctl for the provider mirror ({source.origin}); safe to delete.\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{source.mirror.resolve().as_posix()}"\n  }}\n'
        "}\n"
    )
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def terraform_env(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """The environment for Terraform on top of ``base`` (usually a target's environment)."""
    env = dict(base)
    cache = settings.plugin_cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    env.update(
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        TF_PLUGIN_CACHE_DIR=str(cache),
        TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE="true",
    )
    config = mirror_cli_config(settings, user_cli_config=has_user_cli_config(env))
    if config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(config)
    return env
