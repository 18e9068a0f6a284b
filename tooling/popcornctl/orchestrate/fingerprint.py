"""When does a stack need ``terraform init``? A fingerprint kept in the stack's Terraform data dir.

A stack is (re)initialised when its data dir is missing, when no fingerprint file is there, or when the
fingerprint changed: the backend configuration popcornctl passes (or the local-state path of bootstrap's
first run), the text of files declaring a ``backend`` block, and every ``source``/``version`` line of the
stack and of the local modules it calls (recursively) — module sources and provider requirements. The
scan is textual (no HCL parser: it runs before every plan), so it errs on the side of an extra init;
a missed case is caught anyway when Terraform says "run terraform init", and the runner re-inits once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

FINGERPRINT_FILE = "popcorn-init.json"

_SOURCE_OR_VERSION = re.compile(r"\b(source|version|required_version)\s*=\s*(.+)$")
_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"')
_BACKEND = re.compile(r'^\s*backend\s+"')


def _tf_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")])


def fingerprint(workdir: Path, *, backend: Mapping[str, str] | None, lock_file: bool = True) -> str:
    """The init fingerprint of the stack in ``workdir`` with the given backend settings."""
    digest = hashlib.sha256()
    digest.update(json.dumps(dict(sorted((backend or {}).items()))).encode())
    seen: set[Path] = set()
    todo = [workdir.resolve()]
    while todo:
        directory = todo.pop()
        if directory in seen or not directory.is_dir():
            continue
        seen.add(directory)
        rel = os.path.relpath(directory, workdir.resolve())
        for path in _tf_files(directory):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            lines = text.splitlines()
            if any(_BACKEND.match(line) for line in lines):
                digest.update(f"{rel}/{path.name}:backend-file\n{text}".encode())
            for line in lines:
                match = _SOURCE_OR_VERSION.search(line)
                if match:
                    digest.update(f"{rel}/{path.name}:{match[1]}={match[2].strip()}\n".encode())
                local = _LOCAL_SOURCE.match(line)
                if local:
                    todo.append((directory / local[1]).resolve())
    lock = workdir / ".terraform.lock.hcl"
    if lock_file and lock.is_file():
        digest.update(b"lock:" + hashlib.sha256(lock.read_bytes()).digest())
    return digest.hexdigest()


def is_current(data_dir: Path, value: str) -> bool:
    """True when ``data_dir`` exists and records fingerprint ``value`` from the last successful init."""
    path = data_dir / FINGERPRINT_FILE
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("fingerprint") == value)
    except (OSError, ValueError, AttributeError):
        return False


def record(data_dir: Path, value: str) -> None:
    """Remember a successful init with fingerprint ``value``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / FINGERPRINT_FILE).write_text(
        json.dumps({"fingerprint": value, "written_by": "popcornctl"}) + "\n", encoding="utf-8"
    )


def forget(data_dir: Path) -> None:
    """Drop the fingerprint (the next run re-inits)."""
    (data_dir / FINGERPRINT_FILE).unlink(missing_ok=True)
