"""Fixtures of the environment tests: one real plan per environment for the whole run.

Each environment is planned once (session scope) with its committed terraform.tfvars, the real AWS provider and the
S3 backend, against the run's sandbox: the emulator answers the data sources (AZs, AMIs, caller identity) and serves
the global stacks' state (global/route53-acm, global/ecr) from the state bucket, so terraform_remote_state works as
on AWS. The state objects are seeded with the outputs the global stacks declare (envsupport.global_outputs); the
slow apply test applies the real global stacks instead. Every plan JSON is kept in artifacts/plans/<env>.json.
"""

from __future__ import annotations

from typing import Any

import pytest
from envsupport import env_dir, keep_artifact, local_copy, register_root, seed_sandbox


def _plan(env: str, tf_session: Any, moto_server: Any) -> dict[str, Any]:
    # An empty emulator (no state of an earlier apply at envs/<env>/terraform.tfstate), then the global state.
    moto_server.reset()
    seed_sandbox(moto_server.endpoint)
    plan = tf_session.plan_json(env_dir(env), sandbox=moto_server, backend=True)
    keep_artifact(env, plan)
    register_root(plan, env_dir(env))
    return plan


@pytest.fixture(scope="session")
def dev_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    """The plan of envs/dev with its terraform.tfvars (the dev profile)."""
    return _plan("dev", tf_session, moto_server)


@pytest.fixture(scope="session")
def prod_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    """The plan of envs/prod with its terraform.tfvars (the prod profile)."""
    return _plan("prod", tf_session, moto_server)


@pytest.fixture(scope="session")
def account_plan(tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plan of global/account with its committed defaults (what a real `up` plans), on a local backend."""
    work = local_copy("global/account", tmp_path_factory.mktemp("global-account"))
    plan = tf_session.plan_json(work, sandbox=moto_server, backend=True)
    keep_artifact("global-account", plan)
    register_root(plan, work)
    return plan


@pytest.fixture(params=["dev", "prod"])
def env_plan(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """(environment, plan) for tests that hold for both environments."""
    return request.param, request.getfixturevalue(f"{request.param}_plan")
