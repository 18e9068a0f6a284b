"""Resource address → ``file:line`` in the HCL, so a finding points at the code to change.

The root module's ``.tf`` files are parsed with :mod:`popcornctl.hcl` (line metadata); module calls
with local sources (``./`` or ``../``) are followed into the module's folder, so
``module.rds.aws_db_instance.this`` maps to ``modules/rds/main.tf:12``. A module from a registry or
git source maps to its ``module`` block in the caller. Paths are shown relative to the repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from popcornctl.errors import PopcornError
from popcornctl.hcl import first, load_dir
from popcornctl.policy.addresses import parse_address


@dataclass
class _DirIndex:
    resources: dict[str, tuple[Path, int]] = field(default_factory=dict)  # aws_x.y / data.aws_x.y
    modules: dict[str, tuple[Path, int, str | None]] = field(default_factory=dict)  # name -> where, source


class SourceMap:
    """Maps addresses of one root module's plan to source locations."""

    def __init__(self, root: Path, repo: Path | None = None) -> None:
        self.root = root.resolve()
        self.repo = (repo or root).resolve()
        self._dirs: dict[Path, _DirIndex] = {}
        self._located: dict[str, tuple[str, int] | None] = {}
        self.problems: list[str] = []

    def _index(self, directory: Path) -> _DirIndex:
        directory = directory.resolve()
        if directory in self._dirs:
            return self._dirs[directory]
        index = _DirIndex()
        self._dirs[directory] = index
        try:
            files = load_dir(directory) if directory.is_dir() else []
        except PopcornError as exc:
            self.problems.append(f"file:line mapping skipped for {directory}: {exc.problem}")
            return index
        for hcl_file in files:
            for kind, prefix in (("resource", ""), ("data", "data.")):
                for entry in hcl_file.body.get(kind, []):
                    for rtype, named in entry.items():
                        for name, body in named.items():
                            line = int(body.get("__start_line__", 0)) if isinstance(body, dict) else 0
                            index.resources.setdefault(f"{prefix}{rtype}.{name}", (hcl_file.path, line))
            for entry in hcl_file.body.get("module", []):
                for name, body in entry.items():
                    if not isinstance(body, dict):
                        continue
                    source = first(body.get("source"))
                    line = int(body.get("__start_line__", 0))
                    index.modules.setdefault(name, (hcl_file.path, line, source if isinstance(source, str) else None))
        return index

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.repo).as_posix()
        except ValueError:
            return path.as_posix()

    def locate(self, address: str) -> tuple[str, int] | None:
        """``(file, line)`` of the block that declares ``address``, or None when it cannot be told."""
        parsed = parse_address(address)
        if parsed is None:
            return None
        if parsed.config in self._located:
            return self._located[parsed.config]
        where = self._locate(parsed.config)
        self._located[parsed.config] = where
        return where

    def _locate(self, address: str) -> tuple[str, int] | None:
        parsed = parse_address(address)
        if parsed is None:
            return None
        directory = self.root
        for name in parsed.module_path:
            call = self._index(directory).modules.get(name)
            if call is None:
                return None
            path, line, source = call
            if not source or not source.startswith(("./", "../")):
                return self._relative(path), line
            directory = (directory / source).resolve()
        found = self._index(directory).resources.get(parsed.local)
        if found is None:
            return None
        return self._relative(found[0]), found[1]
