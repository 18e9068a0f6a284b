"""Wrong inputs of the service modules (ecs, rds, elasticache, ec2-kafka, xray, monitoring) are refused at plan time, before any resource is created.

One throwaway root calls every module with values AWS itself would reject only at create time (or never, silently
misbehaving); a single init + plan against the sandbox keeps this cheap. A plan (not `validate`) is needed because
validations that compare two inputs (failover vs node count, alarm family vs its identifier) only run with real values.
Each case names the message its validation must print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

M = {m: (REPO / "modules" / m).as_posix() for m in ("ecs", "rds", "elasticache", "ec2-kafka", "xray", "monitoring")}

ECS_BASE = """
  subnet_ids         = ["subnet-1"]
  security_group_ids = ["sg-1"]
  execution_role_arn = "arn:aws:iam::123456789012:role/exec"
"""

# Validations comparing two inputs run during the plan walk, which Terraform skips once a single-input validation
# has failed; those cases therefore get a root of their own.
CROSS_INPUT = {"cache_failover_single_node", "monitoring_missing_input"}

CASES: dict[str, tuple[str, str]] = {
    "ecs_fargate_pair": (
        f'source = "{M["ecs"]}"\n  name = "demo"\n  services = {{ api = {{ image = "x", cpu = 256, memory = 4096 }} }}'
        + ECS_BASE,
        "valid Fargate cpu/memory pair",
    ),
    "ecs_counts": (
        f'source = "{M["ecs"]}"\n  name = "demo"\n  services = {{ api = {{ image = "x", min_count = 3, desired_count = 2 }} }}'
        + ECS_BASE,
        "min_count <= desired_count",
    ),
    "ecs_plain_secret": (
        f'source = "{M["ecs"]}"\n  name = "demo"\n  services = {{ api = {{ image = "x", secrets = {{ PASSWORD = "hunter2" }} }} }}'
        + ECS_BASE,
        "never a plain value",
    ),
    "ecs_retention": (
        f'source = "{M["ecs"]}"\n  name = "demo"\n  services = {{ api = {{ image = "x" }} }}\n  log_retention_days = 10'
        + ECS_BASE,
        "log_retention_days must be one of",
    ),
    "rds_engine": (
        f'source = "{M["rds"]}"\n  name = "demo"\n  subnet_ids = ["a", "b"]\n  vpc_security_group_ids = ["sg"]\n'
        '  engine_version = "12.7"',
        "PostgreSQL major 13-17",
    ),
    "rds_pi_retention": (
        f'source = "{M["rds"]}"\n  name = "demo"\n  subnet_ids = ["a", "b"]\n  vpc_security_group_ids = ["sg"]\n'
        "  performance_insights_retention_period = 30",
        "multiple of 31",
    ),
    "rds_name_starts_with_digit": (
        f'source = "{M["rds"]}"\n  name = "1demo"\n  subnet_ids = ["a", "b"]\n  vpc_security_group_ids = ["sg"]',
        "start with a letter",
    ),
    "cache_failover_single_node": (
        f'source = "{M["elasticache"]}"\n  name = "demo"\n  subnet_ids = ["a"]\n  security_group_ids = ["sg"]\n'
        "  num_cache_clusters = 1\n  automatic_failover_enabled = true",
        "automatic_failover_enabled needs num_cache_clusters >= 2",
    ),
    "cache_engine": (
        f'source = "{M["elasticache"]}"\n  name = "demo"\n  subnet_ids = ["a"]\n  security_group_ids = ["sg"]\n'
        '  engine_version = "6.2"',
        "Valkey versions",
    ),
    "kafka_even_brokers": (
        f'source = "{M["ec2-kafka"]}"\n  name = "demo"\n  vpc_id = "vpc-1"\n  subnet_ids = ["a"]\n'
        '  security_group_ids = ["sg"]\n  broker_count = 2',
        "odd whole number",
    ),
    "kafka_owned_property": (
        f'source = "{M["ec2-kafka"]}"\n  name = "demo"\n  vpc_id = "vpc-1"\n  subnet_ids = ["a"]\n'
        '  security_group_ids = ["sg"]\n  extra_server_properties = { "node.id" = "7" }',
        "must not set node.id",
    ),
    "xray_rate": (
        f'source = "{M["xray"]}"\n  name = "demo"\n  services = {{ api = {{ fixed_rate = 2 }} }}',
        "fixed_rate must be 0-1",
    ),
    "monitoring_missing_input": (
        f'source = "{M["monitoring"]}"\n  name = "demo"\n  region = "ap-northeast-2"\n  enable_rds_alarms = true',
        "enable_rds_alarms needs rds_instance_id",
    ),
    "monitoring_percent": (
        f'source = "{M["monitoring"]}"\n  name = "demo"\n  region = "ap-northeast-2"\n  thresholds = {{ rds_cpu_percent = 150 }}',
        "Percentage thresholds",
    ),
}


def _plan_errors(tf_session: Any, moto_server: Any, root: Path, cases: list[str]) -> str:
    blocks = [f'module "{case}" {{\n  {CASES[case][0]}\n}}\n' for case in cases]
    provider = 'provider "aws" {\n  region = "ap-northeast-2"\n}\n'
    (root / "main.tf").write_text(provider + "\n".join(blocks))
    tf_session.init(root, sandbox=moto_server)
    result = tf_session.run(root, "plan", "-input=false", "-no-color", "-lock=false", sandbox=moto_server, check=False)
    assert result.returncode != 0, "plan accepted invalid inputs"
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def plan_output(tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    single = sorted(set(CASES) - CROSS_INPUT)
    return _plan_errors(tf_session, moto_server, tmp_path_factory.mktemp("invalid-single"), single) + _plan_errors(
        tf_session, moto_server, tmp_path_factory.mktemp("invalid-cross"), sorted(CROSS_INPUT)
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_input_is_refused(plan_output: str, case: str) -> None:
    _, message = CASES[case]
    assert f'in module "{case}"' in plan_output, f"{case}: no error reported for this module call"
    assert message in plan_output, f"{case}: expected validation message {message!r}"


UNKNOWN_INPUTS_ROOT = """
provider "aws" {
  region = "ap-northeast-2"
}

# Everything passed below is created in the same apply, so every ARN/name is unknown at plan time, as in the
# environment stacks (keys and roles from the iam module, secrets from other modules).
resource "aws_kms_key" "shared" {
  description         = "shared"
  enable_key_rotation = true
}

resource "aws_vpc" "this" {
  cidr_block = "10.99.0.0/16"
}

resource "aws_subnet" "this" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = ["ap-northeast-2a", "ap-northeast-2b"][count.index]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "shared" {
  name_prefix        = "shared-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_instance_profile" "kafka" {
  name_prefix = "kafka-"
  role        = aws_iam_role.shared.name
}

resource "aws_secretsmanager_secret" "token" {
  name_prefix = "token-"
}

module "ecs" {
  source             = "MODULES/ecs"
  name               = "demo"
  services           = { api = { image = "public.ecr.aws/nginx/nginx:1.27-alpine" } }
  subnet_ids         = aws_subnet.this[*].id
  security_group_ids = [aws_vpc.this.default_security_group_id]
  execution_role_arn = aws_iam_role.shared.arn
  task_role_arns     = { api = aws_iam_role.shared.arn }
  create_kms_key     = false
  log_kms_key_arn    = aws_kms_key.shared.arn
}

module "rds" {
  source                 = "MODULES/rds"
  name                   = "demo"
  subnet_ids             = aws_subnet.this[*].id
  vpc_security_group_ids = [aws_vpc.this.default_security_group_id]
  create_kms_key         = false
  kms_key_arn            = aws_kms_key.shared.arn
  create_monitoring_role = false
  monitoring_role_arn    = aws_iam_role.shared.arn
  availability_zone      = aws_subnet.this[0].availability_zone
}

module "elasticache" {
  source                   = "MODULES/elasticache"
  name                     = "demo"
  subnet_ids               = aws_subnet.this[*].id
  security_group_ids       = [aws_vpc.this.default_security_group_id]
  create_kms_key           = false
  kms_key_arn              = aws_kms_key.shared.arn
  create_auth_token_secret = false
  auth_token_secret_arn    = aws_secretsmanager_secret.token.arn
}

module "kafka" {
  source                    = "MODULES/ec2-kafka"
  name                      = "demo"
  vpc_id                    = aws_vpc.this.id
  subnet_ids                = aws_subnet.this[*].id
  security_group_ids        = [aws_vpc.this.default_security_group_id]
  create_kms_key            = false
  kms_key_arn               = aws_kms_key.shared.arn
  create_instance_profile   = false
  iam_instance_profile_name = aws_iam_instance_profile.kafka.name
}

module "xray" {
  source         = "MODULES/xray"
  name           = "demo"
  services       = { api = {} }
  create_kms_key = false
  kms_key_arn    = aws_kms_key.shared.arn
}

module "monitoring" {
  source             = "MODULES/monitoring"
  name               = "demo"
  region             = "ap-northeast-2"
  create_kms_key     = false
  sns_kms_key_arn    = aws_kms_key.shared.arn
  enable_kafka_alarms = true
  kafka_instance_ids = module.kafka.instance_ids
}
"""


def test_inputs_unknown_at_plan_time_do_not_break_counts(
    tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Passing keys, roles, profiles and secrets created in the same apply plans cleanly (no 'Invalid count')."""
    root: Path = tmp_path_factory.mktemp("unknown-inputs")
    (root / "main.tf").write_text(UNKNOWN_INPUTS_ROOT.replace("MODULES", (REPO / "modules").as_posix()))
    plan = tf_session.plan_json(root, sandbox=moto_server)
    types = {rc["type"] for rc in plan["resource_changes"] if rc.get("module_address")}
    assert "aws_kms_key" not in types, "no module creates its own key when one is passed in"
    assert not any(
        rc["type"] in ("aws_iam_role", "aws_iam_instance_profile") and rc.get("module_address") for rc in plan["resource_changes"]
    )
    assert "aws_secretsmanager_secret" not in types
