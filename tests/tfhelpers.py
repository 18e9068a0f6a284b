"""Test helpers for running real Terraform (the product's engine) over the repository's HCL."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.engine import ProcessEngine, TfResult, make_engine
from popcornctl.settings import Settings
from popcornctl.target import Target

REPO = Path(__file__).resolve().parents[1]
REGION = "ap-northeast-2"
TERRAFORM_ROOT_PATTERNS = ("bootstrap", "global/*", "envs/*", "modules/*", "modules/*/examples/*")
# Where the lowest Terraform the stacks declare is looked for (POPCORN_FLOOR_TERRAFORM overrides).
FLOOR_TERRAFORM_CANDIDATES = ("/usr/local/bin/terraform", "terraform")


def terraform_dirs(root: Path = REPO) -> list[Path]:
    """Every folder of the tree that holds .tf files and is a stack, module or module example."""
    found: list[Path] = []
    for pattern in TERRAFORM_ROOT_PATTERNS:
        found.extend(d for d in sorted(root.glob(pattern)) if d.is_dir() and any(d.glob("*.tf")))
    return found


def declared_floor(root: Path = REPO) -> str:
    """The lowest Terraform every stack, module and example declares (``">= 1.11"`` -> ``"1.11"``)."""
    floors = set()
    for folder in terraform_dirs(root):
        text = "\n".join(p.read_text() for p in sorted(folder.glob("*.tf")))
        found = re.findall(r'required_version\s*=\s*">=\s*([0-9]+\.[0-9]+)(?:\.[0-9]+)?"', text)
        floors.update(found)
    if len(floors) != 1:
        raise AssertionError(f"the folders declare different Terraform floors: {sorted(floors)}")
    return floors.pop()


def floor_terraform(root: Path = REPO) -> tuple[str | None, str]:
    """(path, why) of a system ``terraform`` binary whose version is the declared floor; path None with the reason
    when there is none (absent, or another version)."""
    floor = declared_floor(root)
    wanted = os.environ.get("POPCORN_FLOOR_TERRAFORM")
    seen = []
    for candidate in ([wanted] if wanted else FLOOR_TERRAFORM_CANDIDATES):
        path = candidate if Path(candidate).is_file() else None
        if path is None:
            from shutil import which

            path = which(candidate)
        if not path:
            seen.append(f"{candidate}: absent")
            continue
        try:
            out = subprocess.run([path, "version", "-json"], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "CHECKPOINT_DISABLE": "1"}, check=False).stdout
            version = str(json.loads(out)["terraform_version"])
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
            seen.append(f"{path}: cannot tell its version ({exc})")
            continue
        if version == floor or version.startswith(floor + "."):
            return path, f"{path} is Terraform {version}, the declared floor >= {floor}"
        seen.append(f"{path}: Terraform {version}, not {floor}.x")
    return None, f"no Terraform {floor}.x binary (the declared floor) to test with: {'; '.join(seen)}"


def resources(plan: Mapping[str, Any], type: str | None = None) -> list[dict[str, Any]]:
    """Resources the plan will have after apply: address, type, name, module_address, values (``after``)."""
    out = []
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") != "managed" or rc["change"]["actions"] == ["delete"]:
            continue
        if type is not None and rc["type"] != type:
            continue
        out.append(
            {
                "address": rc["address"],
                "type": rc["type"],
                "name": rc["name"],
                "index": rc.get("index"),
                "module_address": rc.get("module_address"),
                "values": rc["change"].get("after") or {},
                "unknown": rc["change"].get("after_unknown") or {},
                "actions": rc["change"]["actions"],
            }
        )
    return out


# `terraform init` writes .terraform.lock.hcl into the folder it runs in (the tree). The ones the harness creates
# are listed in the run's shared folder (every pytest-xdist worker appends to one list) and removed once, when the
# whole run ends (tests/conftest.py): a worker that finishes early never pulls a lock file from under another.
_CREATED_LOCKS = "created-lock-files"


def _created_locks_list() -> Path:
    return Path(os.environ["POPCORN_TEST_SHARED"]) / _CREATED_LOCKS


def record_created_lock_file(path: Path) -> None:
    """Note a lock file that ``init`` is about to create in the tree (one line, appended atomically); one
    outside the tree (a test's copy in a tmp dir) is not the tree's concern."""
    if not path.resolve().is_relative_to(REPO.resolve()):
        return
    with _created_locks_list().open("a") as listing:
        listing.write(f"{path.resolve()}\n")


def created_lock_files() -> set[Path]:
    """The lock files the harness created in the tree so far, in any worker of this run."""
    listing = _created_locks_list()
    return {Path(line) for line in listing.read_text().splitlines() if line} if listing.exists() else set()


def remove_created_lock_files() -> None:
    """Remove the lock files the harness created in the tree (the end of the run)."""
    for path in created_lock_files():
        path.unlink(missing_ok=True)
    _created_locks_list().unlink(missing_ok=True)


@dataclass
class Tf:
    """Runs Terraform through popcornctl's engine (embedded, or ``terraform`` a system binary) with the provider
    mirror and isolated data dirs."""

    mirror: Path
    state_dir: Path
    data_root: Path
    terraform: str | None = None  # a system binary instead of the embedded engine

    def engine(self, sandbox: Any = None) -> ProcessEngine:
        target = Target(REGION, sandbox.endpoint if sandbox is not None else None)
        base = target.env() if sandbox is not None else dict(os.environ)
        settings = Settings(state_dir=self.state_dir, provider_mirror=self.mirror, terraform=self.terraform)
        return make_engine(settings, base)

    def data_dir(self, workdir: Path, tag: str = "") -> Path:
        digest = hashlib.sha1(f"{workdir.resolve()}|{tag}".encode()).hexdigest()[:10]
        return self.data_root / f"{workdir.name}-{digest}"

    def env(self, workdir: Path, sandbox: Any = None) -> dict[str, str]:
        return {"TF_DATA_DIR": str(self.data_dir(workdir, "sandbox" if sandbox is not None else ""))}

    def run(self, workdir: Path, *args: str, sandbox: Any = None, check: bool = True) -> TfResult:
        res = self.engine(sandbox).run(workdir, list(args), env=self.env(workdir, sandbox))
        if check and not res.ok:
            raise AssertionError(f"terraform {' '.join(args)} failed in {workdir}:\n{res.output}")
        return res

    def init(self, workdir: Path, sandbox: Any = None, backend: bool = False,
             backend_config: Mapping[str, str] | None = None) -> TfResult:
        lock_file = workdir / ".terraform.lock.hcl"
        if not lock_file.exists():
            record_created_lock_file(lock_file)
        res = self.engine(sandbox).init(
            workdir, backend=backend, backend_config=backend_config, env=self.env(workdir, sandbox)
        )
        if not res.ok:
            raise AssertionError(f"terraform init failed in {workdir}:\n{res.output}")
        return res

    def validate(self, workdir: Path) -> TfResult:
        self.init(workdir)
        return self.engine().validate(workdir, env=self.env(workdir))

    def plan_json(self, workdir: Path, sandbox: Any = None, var_files: Sequence[Path] = (),
                  variables: Mapping[str, str] | None = None, backend: bool = False) -> dict[str, Any]:
        self.init(workdir, sandbox, backend=backend)
        engine = self.engine(sandbox)
        plan_file = self.data_dir(workdir, "sandbox" if sandbox is not None else "") / "test.tfplan"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        env = self.env(workdir, sandbox)
        res = engine.plan(workdir, plan_file, var_files=var_files, variables=variables, env=env)
        if not res.ok:
            raise AssertionError(f"terraform plan failed in {workdir}:\n{res.output}")
        return engine.show_json(workdir, plan_file, env=env)

    def apply(self, workdir: Path, sandbox: Any = None, var_files: Sequence[Path] = (),
              variables: Mapping[str, str] | None = None, backend: bool = False) -> TfResult:
        self.plan_json(workdir, sandbox, var_files, variables, backend)
        plan_file = self.data_dir(workdir, "sandbox" if sandbox is not None else "") / "test.tfplan"
        res = self.engine(sandbox).apply(workdir, plan_file, env=self.env(workdir, sandbox))
        if not res.ok:
            raise AssertionError(f"terraform apply failed in {workdir}:\n{res.output}")
        return res


def iter_lines(text: str) -> Iterator[str]:
    """Non-empty stripped lines."""
    return (line.strip() for line in text.splitlines() if line.strip())
