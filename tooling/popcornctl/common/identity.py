"""Who runs popcornctl: ``user@host``, the form Terraform writes into a lock's ``Who``."""

from __future__ import annotations

import getpass
import socket


def local_user() -> str:
    """``user@host`` of this process (``unknown@host`` when the user cannot be told)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
