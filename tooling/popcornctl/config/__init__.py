"""The repository's configuration files as typed models: ``popcorn.toml`` here.

- :func:`load_config` reads ``popcorn.toml`` into :class:`ProjectConfig` (files are read by
  :func:`popcornctl.common.tomlfile.read_toml`, the one TOML loader).
- :func:`parse` checks a table against a model whose fields carry :func:`spec` metadata (``policies/waivers.toml`` and
  ``policies/checkov.toml`` are declared next to their loaders in the policy room).
"""

from popcornctl.config.model import Where, parse, spec
from popcornctl.config.project import BackendSettings, Environment, ProjectConfig, load_config

__all__ = [
    "BackendSettings",
    "Environment",
    "ProjectConfig",
    "Where",
    "load_config",
    "parse",
    "spec",
]
