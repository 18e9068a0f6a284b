"""Defect 0: killing popcornctl must not leave Terraform running unsupervised, state in the tree, or a lock stolen.

Real Terraform (both engines), the S3 backend on an emulator process of the test's own, and a real process tree:
``popcornctl up`` is started in a process group of its own, its apply is caught mid-provisioner, and the whole
group is SIGKILLed (what a closed terminal or ``kill -9`` does). Terraform's workers run in sessions of their own,
so they are not in that group: the tests check that they notice, stop Terraform gracefully (the lock is released,
the state saved) and exit, and that no Terraform process of the run survives.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import Backend, Emulator, Popcornctl, descendants, survivors, terraform_in, tiny_repo, wait_for_file

from popcornctl.cli import main

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

ENGINES = {"embedded": [], "binary": ["--terraform", "/usr/local/bin/terraform"]}


def _up(root: Path, engine: str) -> list[str]:
    return ["--repo", str(root), *ENGINES[engine], "up", "dev", "--sandbox", "--auto-approve", "--no-checkov",
            "--skip-policy", "--reason", "fault test"]


def _orphans(state_dir: Path) -> list[dict[str, object]]:
    path = state_dir / "orphaned-runs.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("engine", ["embedded", "binary"])
def test_killed_up_stops_its_terraform_which_saves_state_and_releases_the_lock(
    engine: str, tmp_path: Path, store: Backend, state_dir: Path, launch: Callable[..., Popcornctl]
) -> None:
    if engine == "binary" and not Path("/usr/local/bin/terraform").is_file():
        pytest.skip("no system terraform binary at /usr/local/bin/terraform")
    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=120, marker=marker)
    up = launch(_up(root, engine))
    wait_for_file(marker, up)
    tree = descendants(up.pid)
    assert terraform_in(tree), f"no Terraform process under popcornctl: {tree}"
    assert len(store.locks()) == 2, "the apply holds its lock (DynamoDB item and S3 lockfile)"

    up.kill_tree()  # popcornctl and its process group: SIGKILL

    left = survivors(tree, within=60)
    assert not left, f"processes of the killed run still alive a minute later: {left}"
    assert store.locks() == [], "Terraform was stopped gracefully: it released its lock"
    assert not (root / "envs" / "dev" / "errored.tfstate").exists()
    orphans = _orphans(state_dir)
    assert len(orphans) == 1 and orphans[0]["interrupted"] is True, orphans
    assert orphans[0]["cwd"] == str(root / "envs" / "dev")
    assert not list((state_dir / "workers").glob("*.json")), "the worker removed its record"


@pytest.mark.slow
def test_state_that_cannot_be_saved_is_moved_out_of_the_tree(
    tmp_path: Path, store: Backend, emulator: Emulator, state_dir: Path, launch: Callable[..., Popcornctl]
) -> None:
    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=120, marker=marker)
    up = launch(_up(root, "embedded"))
    wait_for_file(marker, up)
    tree = descendants(up.pid)

    emulator.kill()  # the endpoint is gone: Terraform cannot save state or release its lock
    up.kill_tree()

    assert not survivors(tree, within=120), "the orphaned worker finished (Terraform gave up saving)"
    stack = root / "envs" / "dev"
    assert not (stack / "errored.tfstate").exists(), "errored.tfstate must never stay in the stack folder"
    orphans = _orphans(state_dir)
    assert len(orphans) == 1, orphans
    rescued = Path(str(orphans[0]["rescued_state"]))
    assert rescued.is_file() and state_dir in rescued.parents, rescued
    assert stat.S_IMODE(rescued.stat().st_mode) == 0o600, "state holds secrets: private to the user"
    saved = json.loads(rescued.read_text())
    assert saved["version"] == 4 and any(r["type"] == "terraform_data" for r in saved["resources"])


def test_unlock_refuses_a_lock_whose_holder_still_runs_here(
    tmp_path: Path, store: Backend, emulator: Emulator, launch: Callable[..., Popcornctl],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=120, marker=marker)
    up = launch(_up(root, "embedded"))
    wait_for_file(marker, up)
    lock_id = store.locks()[0]["ID"]
    monkeypatch.setenv("COLUMNS", "200")
    unlock = ["--repo", str(root), "unlock", "--stack", "envs/dev", "--lock-id", lock_id, "--yes", "--sandbox"]

    with pytest.raises(SystemExit) as exc:
        main([*unlock, "--force", "--older-than", "0s"])  # --force overrides the age rule, not a live holder
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "its holder is still running on this machine" in err and "pid" in err and "Traceback" not in err
    assert len(store.locks()) == 2, "nothing was released"

    with pytest.raises(SystemExit) as exc:
        main([*unlock, "--force", "--older-than", "0s", "--even-if-running"])
    out = capsys.readouterr().out
    assert exc.value.code == 0, out
    assert out.count("confirmed gone") == 2 and store.locks() == []


def test_a_dead_workers_record_does_not_block_unlock(tmp_path: Path, store: Backend, state_dir: Path) -> None:
    """A worker SIGKILLed with everything else leaves its record: a recycled pid must not count as the holder."""
    from popcornctl.locks.holders import live_holders
    from popcornctl.locks.model import build_lock, now_utc

    workers = state_dir / "workers"
    workers.mkdir(parents=True)
    # pid 1 is alive, but it is not the process that started at these ticks: the record is stale.
    (workers / "1.json").write_text(json.dumps({
        "pid": 1, "start_ticks": 1, "boot_id": Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
        "cwd": str(tmp_path / "repo" / "envs" / "dev"), "command": "apply",
    }))
    from popcornctl.locks.audit import local_user

    info = json.dumps({"ID": "x", "Who": local_user(), "Operation": "OperationTypeApply", "Created": "2020-01-01T00:00:00Z"})
    lock = build_lock(stack="envs/dev", where="s3", container=store.bucket, key="envs/dev/terraform.tfstate.tflock",
                      raw=info, now=now_utc())
    assert live_holders(lock, stack_dirs=[tmp_path / "repo" / "envs" / "dev"], state_dirs=[state_dir]) == []
    assert not (workers / "1.json").exists(), "the stale record was cleaned up"
    assert os.getpid() > 1


def test_a_killed_worker_takes_its_terraform_binary_down_gracefully(
    tmp_path: Path, store: Backend, launch: Callable[..., Popcornctl]
) -> None:
    """The binary engine's worker is SIGKILLed (an OOM kill picks it): the kernel interrupts its terraform once."""
    if not Path("/usr/local/bin/terraform").is_file():
        pytest.skip("no system terraform binary at /usr/local/bin/terraform")
    import signal

    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=120, marker=marker)
    up = launch([*_up(root, "binary"), "--retries", "1"])
    wait_for_file(marker, up)
    workers = {pid: cmd for pid, cmd in descendants(up.pid).items() if "engine._worker" in cmd}
    assert len(workers) == 1, workers
    worker = next(iter(workers))
    terraform = {pid: cmd for pid, cmd in descendants(worker).items() if cmd.startswith("/usr/local/bin/terraform")}
    assert terraform, descendants(worker)

    os.kill(worker, signal.SIGKILL)

    assert not survivors(terraform, within=60), "terraform got its parent-death signal (SIGINT) and stopped"
    assert store.locks() == [], "and, interrupted gracefully, released its lock"
    assert up.wait(timeout=60) == 1, up.text  # popcornctl saw its worker die: the stack failed


@pytest.mark.slow
def test_state_that_cannot_be_saved_during_a_run_is_moved_to_the_run_folder_and_named(
    tmp_path: Path, store: Backend, emulator: Emulator, state_dir: Path, launch: Callable[..., Popcornctl]
) -> None:
    """popcornctl alive, the endpoint gone mid-apply: the stack fails, and its note says where the state went."""
    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=3, marker=marker)
    report = tmp_path / "report.json"
    up = launch([*_up(root, "embedded"), "--retries", "1", "--report", str(report)])
    wait_for_file(marker, up)
    emulator.kill()
    assert up.wait(timeout=300) == 1, up.text
    assert not (root / "envs" / "dev" / "errored.tfstate").exists()
    stack = json.loads(report.read_text())["stacks"][0]
    note = next(n for n in stack["notes"] if "errored.tfstate" in n)
    rescued = Path(note.split(" to ", 1)[1].split(" — ", 1)[0])
    run_dir = Path(json.loads(report.read_text())["run_dir"])
    assert rescued.is_file() and rescued.parent == run_dir / "rescued-state", note
    assert str(rescued) in up.text, "the user is told where it is"
