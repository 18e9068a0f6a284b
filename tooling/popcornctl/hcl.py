"""Reading Terraform configuration as data (HCL via the ``hcl2`` parser, with line numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.errors import PopcornError


@dataclass(frozen=True)
class HclFile:
    """One parsed ``.tf`` file."""

    path: Path
    body: dict[str, Any]


def load_file(path: Path) -> HclFile:
    """Parse one ``.tf`` file; a syntax error becomes a one-line error naming the file."""
    import hcl2  # deferred: the parser pulls in lark

    try:
        with path.open(encoding="utf-8") as handle:
            body = hcl2.load(handle)  # type: ignore[attr-defined]
    except Exception as exc:  # the parser raises lark's many exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PopcornError(
            f"cannot parse {path}: {first}", "run `terraform fmt` / `terraform validate` on it"
        ) from None
    return HclFile(path=path, body=body)


def load_dir(directory: Path) -> list[HclFile]:
    """Parse every ``.tf`` file directly in ``directory`` (not subfolders), sorted by name."""
    return [load_file(p) for p in sorted(directory.glob("*.tf"))]


def blocks(files: list[HclFile], kind: str) -> list[tuple[HclFile, str, str, dict[str, Any]]]:
    """Every two-label block of ``kind`` (``resource``/``data``) as (file, type, name, body)."""
    found: list[tuple[HclFile, str, str, dict[str, Any]]] = []
    for f in files:
        for entry in f.body.get(kind, []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    found.append((f, rtype, name, body))
    return found


def first(value: Any) -> Any:
    """HCL attributes arrive as one-element lists in some parser versions; unwrap them."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value
