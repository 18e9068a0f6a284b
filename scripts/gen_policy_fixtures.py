#!/usr/bin/env python3
"""Plan the policy fixture configurations with real Terraform and the real AWS provider, against the sandbox.

Each case is a folder ``tests/policy/fixtures/<case>/`` holding ``main.tf`` (and local modules). A case with
a ``before/`` folder is applied in that form first (after seeding the emulator with what the provider is too
slow to create there), then planned in its final form, so the plan holds real deletes and replacements.

    python scripts/gen_policy_fixtures.py                 # all cases, into artifacts/policy-fixtures/
    python scripts/gen_policy_fixtures.py --case prod --out /tmp/plans --endpoint http://127.0.0.1:5000

Without ``--endpoint`` a moto server is started on 127.0.0.1 for the run (and stopped after). Providers come
from ``POPCORN_PROVIDER_MIRROR`` (default ``/opt/tf-plugins`` when it exists). The test session imports
:func:`generate` with a runner bound to its ``tf`` fixture and sandbox; nothing generated is committed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "policy" / "fixtures"
REGION = "ap-northeast-2"
SANDBOX_KEYS = {"aws_access_key_id": "popcorn-sandbox", "aws_secret_access_key": "popcorn-sandbox-secret"}


class Runner(Protocol):
    """Runs Terraform in a folder against the sandbox."""

    endpoint: str

    def plan_json(self, workdir: Path) -> dict[str, Any]: ...

    def apply(self, workdir: Path) -> None: ...


def _require_loopback(endpoint: str) -> None:
    host = urlparse(endpoint).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit(f"refusing to seed {endpoint}: fixtures are generated against a local emulator only")


def seed_rds(endpoint: str) -> None:
    """Create the RDS instances the destructive case imports (the provider's RDS waiters take minutes in moto)."""
    import boto3

    _require_loopback(endpoint)
    rds = boto3.client(
        "rds",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=SANDBOX_KEYS["aws_access_key_id"],
        aws_secret_access_key=SANDBOX_KEYS["aws_secret_access_key"],
    )
    existing = {db["DBInstanceIdentifier"] for db in rds.describe_db_instances()["DBInstances"]}
    for name in ("popcorn-legacy", "popcorn-kept"):
        if name not in existing:
            rds.create_db_instance(
                DBInstanceIdentifier=name,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                AllocatedStorage=20,
                MasterUsername="popcorn",
                MasterUserPassword="sandbox-only-password",
            )


@dataclass(frozen=True)
class Case:
    """One fixture folder and how to plan it."""

    name: str
    before: str | None = None  # sub-folder applied first
    seed: Callable[[str], None] | None = None  # emulator set-up before the first apply

    @property
    def source(self) -> Path:
        """The fixture folder in the repository."""
        return FIXTURES / self.name


CASES: dict[str, Case] = {
    case.name: case
    for case in (
        Case("destructive", before="before", seed=seed_rds),
        Case("prod"),
        Case("dev"),
        Case("dev_modules"),
    )
}


def _copy_config(source: Path, target: Path, *, skip: Iterable[str] = ()) -> None:
    """Copy a configuration folder (``.tf`` files and sub-folders) without Terraform's working files."""
    for path in target.glob("*.tf"):
        path.unlink()
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "*.tfplan", *skip)
    for entry in source.iterdir():
        if entry.name in skip or entry.name.startswith(".terraform"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, ignore=ignore, dirs_exist_ok=True)
        elif entry.suffix == ".tf":
            shutil.copy2(entry, target / entry.name)


def generate_case(case: Case, runner: Runner, workroot: Path) -> dict[str, Any]:
    """Plan one case in a scratch copy under ``workroot``; returns the plan JSON."""
    work = workroot / case.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if case.before:
        if case.seed is not None:
            case.seed(runner.endpoint)
        _copy_config(case.source / case.before, work)
        runner.apply(work)
    _copy_config(case.source, work, skip=[case.before] if case.before else [])
    return runner.plan_json(work)


def generate(cases: Iterable[Case], runner: Runner, workroot: Path, *, parallel: int = 2) -> dict[str, dict[str, Any]]:
    """Plan several cases (concurrently, ``parallel`` Terraform runs at a time)."""
    chosen = list(cases)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {case.name: pool.submit(generate_case, case, runner, workroot) for case in chosen}
        return {name: future.result() for name, future in futures.items()}


# -- standalone use ---------------------------------------------------------------------------------


class EngineRunner:
    """A runner on popcornctl's own engine (embedded Terraform), aimed at ``endpoint``."""

    def __init__(self, endpoint: str, state_dir: Path, mirror: Path | None) -> None:
        from popcornctl.engine import make_engine
        from popcornctl.settings import Settings
        from popcornctl.target import Target

        _require_loopback(endpoint)
        self.endpoint = endpoint
        settings = Settings(state_dir=state_dir, provider_mirror=mirror)
        self.engine = make_engine(settings, Target(REGION, endpoint).env())
        self.data_root = state_dir / "tfdata"

    def _env(self, workdir: Path) -> dict[str, str]:
        return {"TF_DATA_DIR": str(self.data_root / workdir.name)}

    def _plan(self, workdir: Path) -> Path:
        env = self._env(workdir)
        res = self.engine.init(workdir, backend=False, env=env)
        if not res.ok:
            raise SystemExit(f"terraform init failed in {workdir}:\n{res.output}")
        plan_file = self.data_root / f"{workdir.name}.tfplan"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        res = self.engine.plan(workdir, plan_file, env=env)
        if not res.ok:
            raise SystemExit(f"terraform plan failed in {workdir}:\n{res.output}")
        return plan_file

    def plan_json(self, workdir: Path) -> dict[str, Any]:
        """init, plan, show -json."""
        plan_file = self._plan(workdir)
        return self.engine.show_json(workdir, plan_file, env=self._env(workdir))

    def apply(self, workdir: Path) -> None:
        """init, plan, apply that plan."""
        plan_file = self._plan(workdir)
        res = self.engine.apply(workdir, plan_file, env=self._env(workdir))
        if not res.ok:
            raise SystemExit(f"terraform apply failed in {workdir}:\n{res.output}")


def _start_moto() -> tuple[Any, str]:
    import logging

    from popcornctl.sandbox.emulator import Emulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = Emulator()  # the sandbox's own emulator (one request at a time), on a free port
    return server, server.start()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="Case to plan (default: all).")
    parser.add_argument("--out", type=Path, default=REPO / "artifacts" / "policy-fixtures", help="Output folder.")
    parser.add_argument("--endpoint", help="A running emulator (default: start one for this run).")
    parser.add_argument("--parallel", type=int, default=2, help="Terraform runs at a time (default 2).")
    args = parser.parse_args(argv)
    mirror_env = os.environ.get("POPCORN_PROVIDER_MIRROR") or (
        "/opt/tf-plugins" if Path("/opt/tf-plugins").is_dir() else ""
    )
    mirror = Path(mirror_env) if mirror_env else None
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    server = None
    endpoint = args.endpoint
    if endpoint is None:
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        server, endpoint = _start_moto()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="popcorn-policy-fixtures-") as tmp:
            runner = EngineRunner(endpoint, Path(tmp) / "state", mirror)
            cases = [CASES[name] for name in (args.case or sorted(CASES))]
            plans = generate(cases, runner, Path(tmp) / "work", parallel=args.parallel)
    finally:
        if server is not None:
            server.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, plan in plans.items():
        path = args.out / f"{name}.plan.json"
        path.write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{path}  ({len(plan.get('resource_changes') or [])} resource changes)")
    print(f"planned {len(plans)} case(s) in {time.monotonic() - started:.0f}s against {endpoint}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "tooling"))
    raise SystemExit(main())
