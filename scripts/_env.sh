# Shared by the wrappers: argument checks and the popcornctl to call (the repo's venv first).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${POPCORNCTL:-}" ]; then :; elif [ -x "$ROOT/.venv/bin/popcornctl" ]; then POPCORNCTL="$ROOT/.venv/bin/popcornctl"; else POPCORNCTL="popcornctl"; fi
PROJECT="goorm-popcorn"
need_env() {
  case "${1:-}" in
    dev|prod) ;;
    *) echo "usage: $(basename "$0") dev|prod ${2:-}" >&2; exit 2 ;;
  esac
}
