#!/usr/bin/env bash
# Why is an ECS service (un)healthy? One report instead of five `aws ecs describe-*` calls.
source "$(dirname "$0")/_env.sh"
need_env "${1:-}" "[SERVICE...] [--sandbox]"
env="$1"; shift
args=()
for a in "$@"; do
  if [ "$a" = "--sandbox" ]; then args+=("$a"); else args+=(--service "$a"); fi
done
exec "$POPCORNCTL" diagnose ecs --env "$env" "${args[@]}"
