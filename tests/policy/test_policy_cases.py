"""Every policy fails and passes where it should, on plans made by real Terraform with the real AWS provider.

The fixture configurations (tests/policy/fixtures/<case>/main.tf) are planned against the sandbox by
scripts/gen_policy_fixtures.py once per session; nothing here is hand-typed plan JSON.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_support import FIXTURES, evaluate

from popcornctl.policy.pipeline import Setup

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

# policy id -> [(case, addresses it must fail on, addresses it must evaluate and pass)]
EXPECTED: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "POP-RDS-001": [
        ("prod", ["aws_db_instance.fail_db", "aws_db_instance.fail_defaults_db"], ["aws_db_instance.pass_db"])
    ],
    "POP-RDS-002": [
        ("prod", ["aws_db_instance.fail_db"], ["aws_db_instance.pass_db", "aws_db_instance.fail_defaults_db"])
    ],
    "POP-RDS-003": [
        ("prod", ["aws_db_instance.fail_db", "aws_db_instance.fail_defaults_db"], ["aws_db_instance.pass_db"])
    ],
    "POP-RDS-004": [
        ("prod", ["aws_db_instance.fail_db", "aws_db_instance.fail_defaults_db"], ["aws_db_instance.pass_db"])
    ],
    "POP-RDS-005": [
        ("prod", ["aws_db_instance.fail_db", "aws_db_instance.fail_defaults_db"], ["aws_db_instance.pass_db"])
    ],
    "POP-CACHE-001": [
        ("prod", ["aws_elasticache_replication_group.fail_cache"], ["aws_elasticache_replication_group.pass_cache"])
    ],
    "POP-CACHE-002": [
        ("prod", ["aws_elasticache_replication_group.fail_cache"], ["aws_elasticache_replication_group.pass_cache"])
    ],
    "POP-CACHE-003": [
        ("prod", ["aws_elasticache_replication_group.fail_cache"], ["aws_elasticache_replication_group.pass_cache"])
    ],
    "POP-EBS-001": [
        (
            "prod",
            ["aws_ebs_volume.fail_volume", "aws_instance.fail_instance", "aws_launch_template.fail_template"],
            ["aws_ebs_volume.pass_volume", "aws_instance.pass_instance", "aws_launch_template.pass_template"],
        ),
    ],
    "POP-EC2-001": [("prod", ["aws_instance.fail_instance"], ["aws_instance.pass_instance"])],
    "POP-EC2-002": [("prod", ["aws_launch_template.fail_template"], ["aws_launch_template.pass_template"])],
    "POP-S3-001": [
        ("prod", ["aws_s3_bucket.fail_bucket"], ["aws_s3_bucket.pass_bucket", "aws_s3_bucket.partial_bucket"])
    ],
    "POP-S3-002": [
        (
            "prod",
            ["aws_s3_bucket.fail_bucket", "aws_s3_bucket_public_access_block.fail_partial"],
            [
                "aws_s3_bucket.pass_bucket",
                "aws_s3_bucket_public_access_block.pass_bucket",
                "aws_s3_bucket.partial_bucket",
            ],
        ),
        (
            "dev_modules",
            ['module.service["worker"].module.bucket.aws_s3_bucket.this'],
            ['module.service["api"].module.bucket.aws_s3_bucket.this'],
        ),
    ],
    "POP-SNS-001": [
        ("prod", ["aws_sns_topic.fail_topic"], ["aws_sns_topic.pass_topic", "aws_sns_topic.pass_cache_events"])
    ],
    "POP-LOG-001": [("prod", ["aws_cloudwatch_log_group.fail_logs"], ["aws_cloudwatch_log_group.pass_logs"])],
    "POP-LOG-002": [
        (
            "prod",
            ["aws_cloudwatch_log_group.fail_logs", "aws_cloudwatch_log_group.fail_forever_logs"],
            ["aws_cloudwatch_log_group.pass_logs"],
        ),
        ("dev", ["aws_cloudwatch_log_group.fail_month"], ["aws_cloudwatch_log_group.pass_week"]),
    ],
    "POP-KMS-001": [("prod", ["aws_kms_key.fail_key"], ["aws_kms_key.pass_key"])],
    "POP-NET-001": [
        (
            "prod",
            [
                "aws_vpc_security_group_ingress_rule.fail_alb_8080",
                "aws_security_group.fail_app",
                "aws_security_group_rule.fail_db_world",
                "aws_vpc_security_group_ingress_rule.fail_db_all_v6",
            ],
            [
                "aws_security_group.pass_alb",
                "aws_vpc_security_group_ingress_rule.pass_alb_https_v6",
                "aws_security_group_rule.pass_db_from_vpc",
                "aws_security_group.pass_db",
            ],
        ),
    ],
    "POP-NET-002": [("prod", ["aws_vpc.fail_vpc"], ["aws_vpc.pass_vpc"]), ("dev", [], ["aws_vpc.main"])],
    "POP-ALB-001": [
        (
            "prod",
            ["aws_lb_listener.fail_https_old_tls", "aws_lb_listener.fail_https_default_tls"],
            ["aws_lb_listener.pass_https", "aws_lb_listener.pass_http"],
        ),
    ],
    "POP-ALB-002": [
        ("prod", ["aws_lb_listener.fail_http"], ["aws_lb_listener.pass_http", "aws_lb_listener.pass_https"])
    ],
    "POP-ALB-003": [("prod", ["aws_lb.fail_alb"], ["aws_lb.pass_alb"])],
    "POP-ALB-004": [("prod", ["aws_lb.fail_alb"], ["aws_lb.pass_alb"])],
    "POP-ALB-005": [("prod", ["aws_lb.fail_alb"], ["aws_lb.pass_alb"])],
    "POP-ECR-001": [("prod", ["aws_ecr_repository.fail_repo"], ["aws_ecr_repository.pass_repo"])],
    "POP-ECR-002": [("prod", ["aws_ecr_repository.fail_repo"], ["aws_ecr_repository.pass_repo"])],
    "POP-ECS-001": [("prod", ["aws_ecs_service.fail_service"], ["aws_ecs_service.pass_service"])],
    "POP-ECS-002": [
        ("prod", ["aws_ecs_service.fail_service"], ["aws_ecs_service.pass_service"]),
        (
            "dev_modules",
            ['module.service["worker"].aws_ecs_service.this'],
            ['module.service["api"].aws_ecs_service.this'],
        ),
    ],
    "POP-ECS-003": [("prod", ["aws_ecs_task_definition.fail_task"], ["aws_ecs_task_definition.pass_task"])],
    "POP-ECS-004": [("prod", ["aws_ecs_task_definition.fail_task"], ["aws_ecs_task_definition.pass_task"])],
    "POP-ECS-005": [("prod", ["aws_ecs_cluster.fail_cluster"], ["aws_ecs_cluster.pass_cluster"])],
    "POP-TAG-001": [
        ("prod", ["aws_sqs_queue.fail_untagged", "aws_sqs_queue.fail_wrong_env"], ["aws_sqs_queue.pass_tagged"])
    ],
    "POP-IAM-001": [
        (
            "prod",
            ["aws_iam_policy.fail_admin", "aws_iam_role_policy.fail_service_wildcard"],
            ["aws_iam_policy.pass_policy", "aws_iam_role_policy.fail_write_star"],
        ),
        ("dev_modules", ["aws_iam_role_policy.fail_from_document"], []),
    ],
    "POP-IAM-002": [
        (
            "prod",
            ["aws_iam_policy.fail_admin", "aws_iam_role_policy.fail_write_star"],
            ["aws_iam_policy.pass_policy", "aws_iam_role_policy.fail_service_wildcard"],
        ),
    ],
    "POP-COST-001": [
        (
            "dev",
            [
                "aws_db_instance.fail_big_db",
                "aws_elasticache_replication_group.fail_big_cache",
                "aws_instance.fail_big_instance",
            ],
            [
                "aws_db_instance.pass_small_db",
                "aws_elasticache_replication_group.pass_small_cache",
                "aws_launch_template.pass_small_template",
            ],
        ),
    ],
    "POP-COST-002": [
        ("dev", ["aws_nat_gateway.nat[1]"], ["aws_nat_gateway.nat[0]"]),
        ("dev_modules", [], ["aws_nat_gateway.pass_single"]),
    ],
    "POP-COST-003": [
        (
            "dev",
            ["aws_ecs_cluster_capacity_providers.fail_on_demand"],
            ["aws_ecs_cluster_capacity_providers.pass_spot_heavy"],
        )
    ],
    "POP-DESTROY-001": [
        (
            "destructive",
            ["aws_db_instance.legacy", "aws_dynamodb_table.sessions"],
            ["aws_db_instance.kept", "aws_dynamodb_table.kept", "aws_dynamodb_table.locks"],
        )
    ],
    "POP-DESTROY-002": [("destructive", ["aws_ebs_volume.kafka_data"], ["aws_ebs_volume.kept"])],
    "POP-DESTROY-005": [
        (
            "destructive",
            [f'aws_instance.quorum_restarted["{n}"]' for n in "123"],
            [f'aws_instance.quorum_rolled["{n}"]' for n in "123"],
        )
    ],
    "POP-DESTROY-003": [
        (
            "destructive",
            ["aws_s3_bucket.state", "aws_dynamodb_table.locks"],
            ["aws_s3_bucket.scratch", "aws_dynamodb_table.sessions"],
        )
    ],
    "POP-DESTROY-004": [
        ("destructive", ["aws_ecr_repository.images"], ["aws_ecr_repository.kept", "aws_ecr_repository.fresh"])
    ],
}

CASE_NAMES = ("prod", "dev", "dev_modules", "destructive")


@pytest.fixture
def reports(policy_plans: dict[str, Any], setup: Setup) -> dict[str, Any]:
    return {case: evaluate(case, policy_plans, setup) for case in CASE_NAMES}


def test_every_policy_has_a_failing_and_a_passing_case(setup: Setup) -> None:
    ids = {p.id for p in setup.policies}
    assert len(ids) >= 25
    assert ids == set(EXPECTED), f"policies without cases: {ids - set(EXPECTED)}; stale cases: {set(EXPECTED) - ids}"
    for policy_id, cases in EXPECTED.items():
        assert any(fails for _, fails, _ in cases), f"{policy_id} has no failing case"
        assert any(passes for _, _, passes in cases), f"{policy_id} has no passing case"


@pytest.mark.parametrize("policy_id", sorted(EXPECTED))
def test_policy_fails_and_passes_on_real_plans(policy_id: str, reports: dict[str, Any]) -> None:
    for case, must_fail, must_pass in EXPECTED[policy_id]:
        report = reports[case]
        failed = {r.address for r in report.results if r.id == policy_id and r.status == "fail"}
        passed = {a for pid, a, outcome in report.checks if pid == policy_id and outcome == "pass"}
        assert set(must_fail) <= failed, f"{policy_id} in {case}: expected failures {must_fail}, got {sorted(failed)}"
        assert set(must_pass) <= passed, f"{policy_id} in {case}: expected passes {must_pass}, got {sorted(passed)}"
        assert not set(must_pass) & failed
        errors = [r for r in report.results if r.id == policy_id and r.status == "error"]
        assert not errors, errors


def test_no_policy_raises_on_any_fixture(reports: dict[str, Any]) -> None:
    for case, report in reports.items():
        assert not [r for r in report.results if r.status == "error"], case


def test_environment_is_read_from_the_plan(reports: dict[str, Any]) -> None:
    assert (reports["prod"].inputs[0].environment, reports["prod"].inputs[0].environment_source) == (
        "prod",
        "plan variable environment",
    )
    assert (reports["dev_modules"].inputs[0].environment, reports["dev_modules"].inputs[0].environment_source) == (
        "dev",
        "provider default_tags",
    )
    # prod-only policies are silent in dev, dev-only ones in prod
    runs = {p.id: p.status for p in reports["dev"].policies}
    assert runs["POP-RDS-003"] == "other-environment"
    assert {p.id: p.status for p in reports["prod"].policies}["POP-COST-001"] == "other-environment"
    assert not reports["dev"].ids("fail") & {"POP-RDS-003", "POP-RDS-004", "POP-CACHE-003", "POP-ALB-003"}


def test_env_option_overrides_the_plan_and_says_so(policy_plans: dict[str, Any], setup: Setup) -> None:
    report = evaluate("dev", policy_plans, setup, env="prod")
    assert report.inputs[0].environment_source == "--env"
    assert any("--env prod given, but the plan says 'dev'" in w for w in report.warnings)
    assert "POP-RDS-003" in report.ids("fail")  # the dev fixture's single-AZ databases now count as prod


def test_values_unknown_until_apply_are_unknown_not_failures(reports: dict[str, Any]) -> None:
    report = reports["dev_modules"]
    by_key = {(r.id, r.address): r.status for r in report.results}
    assert by_key[("POP-RDS-002", "aws_db_instance.unknown_public")] == "unknown"
    assert by_key[("POP-NET-001", "aws_security_group_rule.unknown_cidr")] == "unknown"
    assert by_key[("POP-IAM-001", "aws_iam_role_policy.unknown_json")] == "unknown"
    assert by_key[("POP-IAM-002", "aws_iam_role_policy.unknown_json")] == "unknown"
    # the document's resources are unknown (statement-level unknown), its "*" action is known: a failure
    assert by_key[("POP-IAM-002", "aws_iam_role_policy.fail_from_document")] == "unknown"
    assert by_key[("POP-IAM-001", "aws_iam_role_policy.fail_from_document")] == "fail"
    for key in (
        'module.service["api"].aws_ecs_task_definition.this',
        'module.service["worker"].aws_ecs_task_definition.this',
    ):
        assert by_key[("POP-ECS-003", key)] == "unknown"
        assert by_key[("POP-ECS-004", key)] == "unknown"
    unknowns = report.unknowns
    assert unknowns and not any(r.is_blocking("low") for r in unknowns)
    assert all("after apply" in r.message for r in unknowns)


def test_module_and_for_each_addresses_map_to_the_module_source(reports: dict[str, Any]) -> None:
    report = reports["dev_modules"]
    worker = next(r for r in report.results if r.id == "POP-ECS-002")
    assert worker.address == 'module.service["worker"].aws_ecs_service.this'
    source = (FIXTURES / "dev_modules" / "modules" / "service" / "main.tf").read_text().splitlines()
    assert worker.file == "tests/policy/fixtures/dev_modules/modules/service/main.tf"
    assert source[worker.line - 1].startswith('resource "aws_ecs_service" "this"')
    nested = next(r for r in report.results if r.id == "POP-S3-002" and "module.bucket" in r.address)
    assert nested.file == "tests/policy/fixtures/dev_modules/modules/bucket/main.tf"
    assert [r.address for r in report.results if r.id == "POP-ECS-002"] == [worker.address]


def test_replace_and_delete_actions_of_stateful_resources(reports: dict[str, Any]) -> None:
    report = reports["destructive"]
    results = {(r.id, r.address): r for r in report.results if r.id.startswith("POP-DESTROY")}
    volume = results[("POP-DESTROY-002", "aws_ebs_volume.kafka_data")]
    assert volume.actions == ("delete", "create")
    assert "forced by availability_zone" in volume.message
    assert volume.severity == "critical" and volume.is_blocking("critical")
    assert results[("POP-DESTROY-001", "aws_db_instance.legacy")].actions == ("delete",)
    assert "forced by name" in results[("POP-DESTROY-004", "aws_ecr_repository.images")].message
    assert "lock table" in results[("POP-DESTROY-003", "aws_dynamodb_table.locks")].message
    assert report.exit_code("critical") == 1


def test_findings_point_at_the_declaring_block(reports: dict[str, Any]) -> None:
    report = reports["prod"]
    result = next(r for r in report.results if r.id == "POP-RDS-002")
    lines = (FIXTURES / "prod" / "main.tf").read_text().splitlines()
    assert result.file == "tests/policy/fixtures/prod/main.tf"
    assert lines[result.line - 1] == 'resource "aws_db_instance" "fail_db" {'
