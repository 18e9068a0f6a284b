"""The environment every Terraform run gets, and how providers are found.

Every run: ``CHECKPOINT_DISABLE=1`` (no phoning home), ``TF_IN_AUTOMATION=1``, ``TF_INPUT=0`` and a shared
``TF_PLUGIN_CACHE_DIR`` so N stacks share one provider copy. Provider installation is Terraform's own:
the user's CLI config and implied local mirror directories — unless ``POPCORN_PROVIDER_MIRROR`` names
a filesystem mirror, for which popcornctl writes a small CLI config in its state directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from popcornctl.settings import Settings


def mirror_cli_config(settings: Settings) -> Path | None:
    """Write (if needed) and return the CLI config that installs providers from the mirror setting."""
    mirror = settings.provider_mirror
    if mirror is None:
        return None
    path = settings.ensure_state_dir() / "terraform-mirror.tfrc"
    text = (
        "# Written by popcornctl from POPCORN_PROVIDER_MIRROR; safe to delete.\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{mirror.resolve().as_posix()}"\n  }}\n'
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
    config = mirror_cli_config(settings)
    if config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(config)
    return env
