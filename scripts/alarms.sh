#!/usr/bin/env bash
# CloudWatch alarms of an environment that are in ALARM now.
source "$(dirname "$0")/_env.sh"
need_env "${1:-}"
command -v aws >/dev/null || { echo "the AWS CLI is not installed — install it (pip install awscli) and retry" >&2; exit 2; }
exec aws cloudwatch describe-alarms --alarm-name-prefix "${PROJECT}-$1" --state-value ALARM \
  --query 'MetricAlarms[].{name:AlarmName,reason:StateReason,since:StateUpdatedTimestamp}' --output table
