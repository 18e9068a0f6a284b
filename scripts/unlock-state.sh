#!/usr/bin/env bash
# Release a stale Terraform state lock safely (conditional delete; the -md5 digest item is never touched).
# Replaces the seed's `aws dynamodb delete-item --table-name terraform-locks --key ...`.
source "$(dirname "$0")/_env.sh"
need_env "${1:-}" "[LOCK_ID] [--sandbox]"
env="$1"; shift
args=()
for a in "$@"; do
  case "$a" in
    --*) args+=("$a") ;;
    *) args+=(--lock-id "$a") ;;
  esac
done
exec "$POPCORNCTL" unlock --env "$env" "${args[@]}"
