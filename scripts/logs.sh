#!/usr/bin/env bash
# Tail a service's CloudWatch logs (log groups live under /aws/ecs/goorm-popcorn-ENV/).
source "$(dirname "$0")/_env.sh"
need_env "${1:-}" "SERVICE [SINCE, default 30m]"
if [ -z "${2:-}" ]; then echo "usage: $(basename "$0") dev|prod SERVICE [SINCE]" >&2; exit 2; fi
command -v aws >/dev/null || { echo "the AWS CLI is not installed — install it (pip install awscli) and retry" >&2; exit 2; }
exec aws logs tail "/aws/ecs/${PROJECT}-$1/$2" --since "${3:-30m}" --follow
