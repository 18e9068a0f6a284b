"""Helpers every room shares, each written once: durations, process groups, AWS error codes, severities,
the repository, the local user, TOML files.

- :mod:`.durations` — :func:`~.durations.parse_duration` (``90s``, ``15m``, ``1h30m``, ``2d``) and
  :func:`~.durations.format_duration` (``3h 12m``): the one parser and formatter of spans of time.
- :mod:`.process` — start a child in a process group of its own, signal it, stop it: the one way
  popcornctl runs and stops helper programs (Terraform workers, Checkov).
- :mod:`.awserrors` — :func:`~.awserrors.error_code` / :func:`~.awserrors.error_message` of a botocore error.
- :mod:`.severity` — :class:`~.severity.Severity`, the one severity scale (policy gate, run report, schemas).
- :mod:`.repo` — :func:`~.repo.find_repo`: the folder holding ``popcorn.toml`` at or above a folder.
- :mod:`.identity` — :func:`~.identity.local_user`: ``user@host``, as Terraform writes a lock's ``Who``.
- :mod:`.tomlfile` — :func:`~.tomlfile.read_toml`: the one TOML loader (one-line errors for a missing,
  unreadable or malformed file).

Nothing here imports boto3, Rich or Terraform at import time.
"""
