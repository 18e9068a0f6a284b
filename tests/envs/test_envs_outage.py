"""Changes that would cause an outage, checked instance by instance in the real plans of both environments.

- Kafka: a version, setting or instance type change never replaces or restarts every broker in one apply; a broker
  takes it when its own generation is raised (one per apply; POP-DESTROY-005 blocks a plan that disrupts two).
- ECR: the images prod runs are release images, which the shared repositories' lifecycle policy never lets dev's
  build tags push out.
- Database: no service shares (or even reads) the RDS master user; each connects as its own IAM-authenticated user,
  so a rotation of the master secret cannot break a running task.
- Health: every service has a container health check on its actuator (or front page), which ECS also reports to
  Cloud Map.
- ECS: a capacity provider strategy change rolls tasks instead of replacing services; the database's AZ is never a
  reason to replace it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest
from envsupport import (
    ENVS,
    by_type,
    config_address,
    declared_block,
    global_outputs,
    local_copy,
    outputs,
    references_of_local,
    register_root,
)
from hcl_lifecycle import ignored, replace_triggers

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

Plan = dict[str, Any]


def _plan(env: str, request: pytest.FixtureRequest) -> Plan:
    return request.getfixturevalue(f"{env}_plan")


# --------------------------------------------------------------------------------------------- Kafka


@pytest.mark.parametrize("env", ENVS)
def test_each_broker_takes_changes_only_when_its_own_generation_rises(env: str, request: pytest.FixtureRequest) -> None:
    plan = _plan(env, request)
    brokers = [b for b in by_type(plan, "aws_instance") if "controller" in b["values"]["tags"].get("KafkaRole", "")]
    assert len(brokers) == {"dev": 1, "prod": 3}[env]
    generations = {g["index"]: g for g in by_type(plan, "terraform_data") if g["name"] == "generation"}
    for broker in brokers:
        block = declared_block(plan, broker["address"])
        assert {"ami", "user_data", "instance_type"} <= ignored(block), (
            f"{broker['address']}: a version, setting or AMI change would reach every broker in one apply")
        assert replace_triggers(block) == ["terraform_data.generation[each.key]"], broker["address"]
        assert broker["index"] in generations, f"{broker['address']} has no generation of its own"
    assert outputs(plan, "kafka_brokers_pending_roll") == [], "a first apply creates every broker up to date"


# --------------------------------------------------------------------------------------------- ECR retention


@pytest.fixture(scope="module")
def ecr_plan(tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    work = local_copy("global/ecr", tmp_path_factory.mktemp("global-ecr"))
    plan = tf_session.plan_json(work, sandbox=moto_server, backend=True)
    register_root(plan, work)
    return plan


def _matches(rule: dict[str, Any], tags: list[str]) -> bool:
    """ECR's selection: tagStatus, and every pattern of tagPatternList (or prefix) matched by one of the tags."""
    selection = rule["selection"]
    if selection["tagStatus"] == "untagged":
        return not tags
    if selection["tagStatus"] == "any":
        return True
    if not tags:
        return False
    patterns = selection.get("tagPatternList") or [p + "*" for p in selection.get("tagPrefixList") or []]
    return all(any(fnmatch.fnmatchcase(t, p) for t in tags) for p in patterns)


def claiming_rule(policy: dict[str, Any], tags: list[str]) -> dict[str, Any] | None:
    """The rule that decides an image's fate: ECR never lets a lower-priority rule expire an image that a
    higher-priority rule's tag selection matched."""
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        if _matches(rule, tags):
            return rule
    return None


def _protected(rule: dict[str, Any] | None) -> bool:
    """Expired only after at least 100 newer images of its kind: release images, kept for rollbacks."""
    return rule is not None and rule["selection"]["countType"] == "imageCountMoreThan" and \
        rule["selection"]["countNumber"] >= 100


def test_the_lifecycle_policy_protects_release_images_from_build_churn(ecr_plan: Plan) -> None:
    policies = {json.dumps(p["values"]["policy"]) for p in by_type(ecr_plan, "aws_ecr_lifecycle_policy")}
    assert len(policies) == 1, "every repository has the same policy"
    policy = json.loads(json.loads(policies.pop()))
    assert _protected(claiming_rule(policy, ["1.4.2"]))
    assert _protected(claiming_rule(policy, ["sha-1a2b3c4", "1.4.2"])), "a promoted build keeps its release tag's rule"
    churn = claiming_rule(policy, ["sha-1a2b3c4"])
    assert churn is not None and not _protected(churn), "dev's build tags do expire"
    assert claiming_rule(policy, [])["selection"]["tagStatus"] == "untagged"  # type: ignore[index]


@pytest.mark.parametrize("env", ENVS)
def test_no_image_prod_runs_can_expire_while_dev_pushes(env: str, ecr_plan: Plan, request: pytest.FixtureRequest) -> None:
    plan = _plan(env, request)
    policy = json.loads(by_type(ecr_plan, "aws_ecr_lifecycle_policy")[0]["values"]["policy"])
    repos = global_outputs()["global/ecr/terraform.tfstate"]["repository_urls"][0]
    for service, containers in outputs(plan, "ecs_container_definitions").items():
        (app,) = [c for c in containers if c["name"] == service]
        repository, tag = app["image"].rsplit(":", 1)
        assert repository == repos[service]
        if env == "prod":
            assert _protected(claiming_rule(policy, [tag])), f"prod runs {app['image']}, which dev's builds can expire"


def test_prod_refuses_a_build_tag(tf_session: Any, moto_server: Any, request: pytest.FixtureRequest) -> None:
    from envsupport import env_dir, seed_sandbox

    request.getfixturevalue("prod_plan")  # the session's prod workspace is initialised
    seed_sandbox(moto_server.endpoint)
    res = tf_session.run(env_dir("prod"), "plan", "-input=false", "-lock=false", "-var", "image_tag=sha-1a2b3c4",
                         sandbox=moto_server, check=False)
    assert res.returncode != 0 and "prod deploys release tags only" in res.output, res.output[-2000:]


# --------------------------------------------------------------------------------------------- database credentials


@pytest.mark.parametrize("env", ENVS)
def test_no_service_uses_the_master_user(env: str, request: pytest.FixtureRequest) -> None:
    plan = _plan(env, request)
    (db,) = by_type(plan, "aws_db_instance")
    assert db["values"]["iam_database_authentication_enabled"] is True
    assert db["values"]["manage_master_user_password"] is True, "RDS rotates the master secret"
    users = outputs(plan, "database_users")
    for service, containers in outputs(plan, "ecs_container_definitions").items():
        (app,) = [c for c in containers if c["name"] == service]
        environment = {e["name"]: e.get("value") for e in app.get("environment") or []}
        secrets = {s["name"] for s in app.get("secrets") or []}
        assert not {s for s in secrets if "DATASOURCE" in s}, f"{service} is injected database credentials"
        if service in users:
            assert environment["SPRING_DATASOURCE_USERNAME"] == users[service] != db["values"]["username"]
            assert environment["SPRING_DATASOURCE_DRIVER_CLASS_NAME"] == "software.amazon.jdbc.Driver"
        else:
            assert "SPRING_DATASOURCE_USERNAME" not in environment
    assert set(users) == {"user", "store", "order", "payment", "checkin", "order-query"}
    # The execution role reads only the secrets the containers get: the master secret is not among them.
    read = references_of_local(plan, "secret_arns")
    assert read and not any(r.startswith("module.rds.") for r in read), read


# --------------------------------------------------------------------------------------------- health checks


@pytest.mark.parametrize("env", ENVS)
def test_every_service_has_a_container_health_check_on_its_health_path(env: str, request: pytest.FixtureRequest) -> None:
    plan = _plan(env, request)
    containers = outputs(plan, "ecs_container_definitions")
    services = {t["index"] for t in by_type(plan, "aws_ecs_task_definition")}
    assert services == set(containers) and len(services) == 8
    paths = {g["index"]: g["values"]["health_check"][0]["path"] for g in by_type(plan, "aws_lb_target_group")}
    for service in sorted(services):
        (app,) = [c for c in containers[service] if c["name"] == service]
        check = app.get("healthCheck")
        assert check, f"{service} has no container health check"
        command = " ".join(check["command"])
        assert check["command"][0] == "CMD-SHELL"
        path = paths.get(service, "/actuator/health")
        assert re.search(rf"http://localhost:8080{re.escape(path)}(\s|$)", command), (service, command)
        assert check["retries"] >= 2 and check["startPeriod"] <= 300 and check["timeout"] < check["interval"]
    for registration in by_type(plan, "aws_service_discovery_service"):
        assert registration["values"]["health_check_custom_config"], "ECS reports task health to Cloud Map"


# --------------------------------------------------------------------------------------------- ECS and RDS changes


@pytest.mark.parametrize("env", ENVS)
def test_capacity_strategy_changes_roll_tasks_instead_of_replacing_services(
    env: str, request: pytest.FixtureRequest
) -> None:
    plan = _plan(env, request)
    services = by_type(plan, "aws_ecs_service")
    assert services and all(s["values"]["force_new_deployment"] is True for s in services)
    (db,) = by_type(plan, "aws_db_instance")
    assert "availability_zone" in ignored(declared_block(plan, db["address"])), config_address(db["address"])
