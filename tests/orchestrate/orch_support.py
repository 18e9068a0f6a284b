"""Support for the orchestrator tests: a fixture repository on the run's emulator, and ways to run it.

``Fx.run(...)`` drives :class:`popcornctl.orchestrate.Runner` directly (with seams: confirmer, gate,
before_apply); ``Fx.cli(...)`` runs the real command line (``popcornctl.cli.main``) with ``--sandbox``
aimed at the test's emulator instead of starting a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fixture_repo import REGION

from clirunner import run_cli
from popcornctl.orchestrate import Runner, RunOptions
from popcornctl.orchestrate.confirm import ApprovalRequest
from popcornctl.orchestrate.policy_gate import GateFinding, GateOutcome
from popcornctl.orchestrate.run_report import RunReport
from popcornctl.runtime import Runtime
from popcornctl.settings import Settings
from popcornctl.target import Target


def passing_gate(plan: Mapping[str, Any], root: Path, env: str | None, checkov: bool, plan_path: Path | None,
                 fail_on: str) -> GateOutcome:
    """A gate that finds nothing (tests that are not about the gate)."""
    return GateOutcome(status="passed", fail_on=fail_on)


def insecure_gate(plan: Mapping[str, Any], root: Path, env: str | None, checkov: bool, plan_path: Path | None,
                  fail_on: str) -> GateOutcome:
    """A gate with one 'high' rule: a terraform_data input containing 'insecure'."""
    findings = [
        GateFinding("TEST-001", "high", rc["address"], "input must not be insecure")
        for rc in plan.get("resource_changes", [])
        if "insecure" in str((rc["change"].get("after") or {}).get("input", ""))
    ]
    blocking = [f for f in findings if fail_on in ("high", "medium", "low")]
    return GateOutcome(status="blocked" if blocking else "passed", findings=findings, blocking=blocking,
                       fail_on=fail_on)


@dataclass
class Scripted:
    """A confirmer that answers from a script and records every request."""

    answers: list[bool] = field(default_factory=list)
    default: bool = True
    requests: list[ApprovalRequest] = field(default_factory=list)
    hook: Callable[[ApprovalRequest], None] | None = None

    def confirm(self, request: ApprovalRequest) -> bool:
        self.requests.append(request)
        if self.hook is not None:
            self.hook(request)
        return self.answers.pop(0) if self.answers else self.default


@dataclass
class Fx:
    """A fixture repository on the test's emulator."""

    root: Path
    marks: Path
    endpoint: str
    monkeypatch: pytest.MonkeyPatch

    def runtime(self, *, verbose: bool = False) -> Runtime:
        rt = Runtime(Settings(repo=self.root, verbose=verbose), sandbox=True)
        rt.__dict__["target"] = Target(REGION, self.endpoint)  # the test's emulator, not a second one
        return rt

    def runner(self, command: str = "up", env: str = "dev", *, confirmer: Any = None, gate: Any = passing_gate,
               before_apply: Any = None, view: Any = None, **options: Any) -> Runner:
        options.setdefault("auto_approve", confirmer is None)
        options.setdefault("retry_delay", 0.05)
        opts = RunOptions(command=command, env=env, **options)
        return Runner(self.runtime(), opts, confirmer=confirmer, gate=gate, before_apply=before_apply, view=view)

    def run(self, command: str = "up", env: str = "dev", **kwargs: Any) -> RunReport:
        return self.runner(command, env, **kwargs).run()

    def cli(self, *args: str) -> tuple[int, str, str]:
        """``popcornctl --repo ROOT ARGS`` with --sandbox runs aimed at this emulator."""
        endpoint = self.endpoint

        def target(rt: Runtime) -> Target:
            return Target(REGION, endpoint) if rt.sandbox else Target(REGION)

        self.monkeypatch.setattr(Runtime, "target", property(target))
        return run_cli(args, prefix=["--repo", str(self.root)])

    def state(self, stack: str) -> dict[str, Any]:
        """A stack's state object in the fixture bucket."""
        import json

        import boto3
        from fixture_repo import BUCKET

        s3 = boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION)
        body = s3.get_object(Bucket=BUCKET, Key=f"{stack}/terraform.tfstate")["Body"].read()
        data: dict[str, Any] = json.loads(body)
        return data


# -- a scripted engine for the runner's logic (no Terraform) ------------------------------------------------
def plan_doc(*changes: tuple[str, str, list[str]], before: dict[str, Any] | None = None,
             prior: bool = True) -> dict[str, Any]:
    """A minimal ``show -json`` document: (address, type, actions) changes."""
    return {
        "format_version": "1.2",
        "terraform_version": "1.15.5",
        "prior_state": {"values": {"root_module": {"resources": [{"address": "x"}] if prior else []}}},
        "resource_changes": [
            {"address": a, "type": t, "mode": "managed", "name": a.split(".")[-1],
             "change": {"actions": acts, "before": before or {}, "after": {}}}
            for a, t, acts in changes
        ],
        "planned_values": {"root_module": {"resources": []}},
        "variables": {},
    }


CREATE = plan_doc(("terraform_data.work", "terraform_data", ["create"]))
NOOP = plan_doc(("terraform_data.work", "terraform_data", ["no-op"]))


@dataclass
class FakeEngine:
    """Answers init/plan/show/apply per stack from a script; records every call."""

    root: Path
    plans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stack -> show -json answers
    # (stack, cmd) -> results, each (exit code, output) or a callable made at call time
    outputs: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, tuple[str, ...], dict[str, str]]] = field(default_factory=list)
    on_apply: Callable[[str], None] | None = None
    name: str = "fake"

    def _stack(self, workdir: Path) -> str:
        try:
            return workdir.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:  # the bootstrap shadow
            return "shadow:" + workdir.name

    def _result(self, workdir: Path, cmd: str, args: list[str], env: Mapping[str, str] | None) -> Any:
        from popcornctl.engine import TfResult

        stack = self._stack(workdir)
        self.calls.append((stack, cmd, tuple(args), dict(env or {})))
        script = self.outputs.get((stack, cmd))
        item = script.pop(0) if script else (0, "")
        code, text = item() if callable(item) else item
        return TfResult((cmd, *args), code, "", text, 0.01)

    def init(self, workdir: Path, *, backend: bool = True, backend_config: Mapping[str, str] | None = None,
             migrate_state: bool = False, reconfigure: bool = False, env: Mapping[str, str] | None = None) -> Any:
        args = [f"-backend-config={k}={v}" for k, v in (backend_config or {}).items()]
        if migrate_state:
            args.append("-migrate-state")
        return self._result(workdir, "init", args, env)

    def plan(self, workdir: Path, plan_file: Path, *, var_files: Any = (), variables: Any = None,
             targets: Any = (), destroy: bool = False, refresh: bool = True,
             env: Mapping[str, str] | None = None) -> Any:
        plan_file.write_text("fake plan")
        args = [f"-var-file={v}" for v in var_files] + [f"-target={t}" for t in targets]
        return self._result(workdir, "plan", args + (["-destroy"] if destroy else []), env)

    def show_json(self, workdir: Path, plan_file: Path | None = None, *,
                  env: Mapping[str, str] | None = None) -> dict[str, Any]:
        stack = self._stack(workdir)
        key = "bootstrap" if stack.startswith("shadow:") else stack
        answers = self.plans.get(key)
        if not answers:
            return CREATE
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def apply(self, workdir: Path, plan_file: Path, *, env: Mapping[str, str] | None = None) -> Any:
        result = self._result(workdir, "apply", [str(plan_file)], env)
        if result.ok and self.on_apply is not None:
            self.on_apply(self._stack(workdir))
        return result

    def commands(self, stack: str) -> list[str]:
        return [cmd for s, cmd, _, _ in self.calls if s == stack]


@dataclass
class FakeProbe:
    """The backend as the test says it is."""

    bucket: bool = True
    applied: set[str] = field(default_factory=lambda: {"bootstrap", "global/a", "global/b", "envs/dev"})

    def bucket_exists(self) -> bool:
        return self.bucket

    def state(self, stack: str) -> Any:
        from popcornctl.orchestrate.backend import StateInfo

        return StateInfo(exists=stack in self.applied, resources=1 if stack in self.applied else 0)


def fake_runner(root: Path, command: str = "up", env: str = "dev", *, engine: FakeEngine,
                probe: FakeProbe | None = None, confirmer: Any = None, gate: Any = passing_gate,
                view: Any = None, endpoint: str = "http://127.0.0.1:9", **options: Any) -> Runner:
    """A runner over a fixture tree with a scripted engine (the default target is never contacted)."""
    options.setdefault("auto_approve", confirmer is None)
    options.setdefault("retry_delay", 0.0)
    rt = Runtime(Settings(repo=root), sandbox=True)
    rt.__dict__["target"] = Target(REGION, endpoint)
    return Runner(rt, RunOptions(command=command, env=env, **options), engine=engine,  # type: ignore[arg-type]
                  probe=probe or FakeProbe(), confirmer=confirmer, gate=gate, view=view, sleep=lambda s: None)
