"""Reading a TOML file: the one place a missing, unreadable or malformed file becomes a one-line error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from popcornctl.errors import PopcornError


def read_toml(path: Path, *, label: str | None = None, missing_fix: str = "create it") -> dict[str, Any]:
    """The parsed document at ``path``; ``label`` is how messages name the file (default: the path)."""
    name = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PopcornError(f"{name} does not exist", missing_fix) from None
    except IsADirectoryError:
        raise PopcornError(f"{name} is a folder, not a TOML file", "point at the file itself") from None
    except PermissionError:
        raise PopcornError(f"cannot read {name}: permission denied", "make it readable for this user") from None
    except UnicodeDecodeError as exc:
        raise PopcornError(f"{name} is not UTF-8 text ({exc.reason})", "save it as UTF-8") from None
    except OSError as exc:
        raise PopcornError(f"cannot read {name}: {exc.strerror or exc}", "check the path") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PopcornError(f"{name} is not valid TOML ({exc})", "fix the syntax error it names") from None
