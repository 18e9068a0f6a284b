"""Finding the repository: the folder holding ``popcorn.toml``, at or above a starting folder."""

from __future__ import annotations

from pathlib import Path

REPO_MARKER = "popcorn.toml"


def find_repo(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``popcorn.toml``; None when there is none."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / REPO_MARKER).is_file():
            return candidate
    return None
