#!/usr/bin/env bash
# Database status, reachability from ECS, storage headroom, backups, alarms.
source "$(dirname "$0")/_env.sh"
need_env "${1:-}" "[--sandbox]"
env="$1"; shift
exec "$POPCORNCTL" diagnose rds --env "$env" "$@"
