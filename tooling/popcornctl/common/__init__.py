"""Helpers every room shares, each written once: durations, process groups, AWS error codes.

- :mod:`.durations` — :func:`~.durations.parse_duration` (``90s``, ``15m``, ``1h30m``, ``2d``) and
  :func:`~.durations.format_duration` (``3h 12m``): the one parser and formatter of spans of time.
- :mod:`.process` — start a child in a process group of its own, signal it, stop it: the one way
  popcornctl runs and stops helper programs (Terraform workers, Checkov).
- :mod:`.awserrors` — :func:`~.awserrors.error_code` / :func:`~.awserrors.error_message` of a botocore error.

Nothing here imports boto3, Rich or Terraform at import time.
"""
