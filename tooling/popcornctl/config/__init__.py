"""The repository's configuration files as typed models: ``popcorn.toml`` here, and the loader every TOML file uses.

- :func:`load_config` reads ``popcorn.toml`` into :class:`ProjectConfig`.
- :func:`read_toml` reads any TOML file (one-line errors for a missing, unreadable or malformed file).
- :func:`parse` checks a table against a model whose fields carry :func:`spec` metadata (``policies/waivers.toml`` and
  ``policies/checkov.toml`` are declared next to their loaders in the policy room).
"""

from popcornctl.config.model import Where, parse, spec
from popcornctl.config.project import BackendSettings, Environment, ProjectConfig, load_config
from popcornctl.config.tomlfile import read_toml

__all__ = [
    "BackendSettings",
    "Environment",
    "ProjectConfig",
    "Where",
    "load_config",
    "parse",
    "read_toml",
    "spec",
]
