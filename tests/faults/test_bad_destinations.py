"""Defects 2 and 4: where a report goes. Written like an editor writes; a bad destination is one line, exit 2,
checked before anything runs; a run's report is never lost because its destination is bad.

``policy-check --out`` (formerly ``-o``) runs on a synthetic plan without Checkov (fast); ``plan``/``up --report`` and ``--out-dir`` run
against the test's emulator with real Terraform.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from faultkit import Backend, char_device_like_dev_full, fifo_reader, read_only_mount, tiny_repo

from popcornctl.cli import main

REPO = Path(__file__).resolve().parents[2]
PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.15.5",
    "variables": {"environment": {"value": "dev"}},
    "resource_changes": [
        {
            "address": "terraform_data.marker", "mode": "managed", "type": "terraform_data", "name": "marker",
            "change": {"actions": ["create"], "before": None, "after": {"input": "x"}, "after_unknown": {}},
        }
    ],
}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("popcornctl: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    return path


def check(plan: Path, *extra: str) -> list[str]:
    return ["--repo", str(REPO), "policy-check", str(plan), "--no-checkov", "--output", "json", *extra]


# -- policy-check --out ----------------------------------------------------------------------------------------
def test_an_existing_report_keeps_its_permissions_and_is_replaced_whole(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    out.write_text("old report")
    out.chmod(0o640)
    inode = out.stat().st_ino
    code, _, err = run_cli(check(plan, "--out", str(out)), capsys)
    assert code == 0, err
    assert json.loads(out.read_text())["findings"] is not None
    assert stat.S_IMODE(out.stat().st_mode) == 0o640, "the user's mode is kept (not mkstemp's 0600)"
    assert out.stat().st_ino != inode, "replaced atomically (a reader never sees half a report)"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.json.")], "no temporary file left"


def test_a_symlink_is_written_through_and_stays_a_link(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(real)
    code, _, err = run_cli(check(plan, "--out", str(link)), capsys)
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real
    assert json.loads(real.read_text())["schema_version"] == 1


def test_a_fifo_is_streamed_to_never_replaced(plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "report.pipe"
    with fifo_reader(fifo) as received:
        code, _, err = run_cli(check(plan, "--out", str(fifo)), capsys)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode), "still a FIFO"
    assert json.loads(received[0])["schema_version"] == 1


def test_a_full_device_is_streamed_to_and_fails_in_one_line(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = char_device_like_dev_full(tmp_path / "full")
    if device is None:
        pytest.skip("mknod is not allowed here")
    code, _, err = run_cli(check(plan, "--out", str(device)), capsys)
    assert "No space left on device" in one_line_error(code, err)
    assert stat.S_ISCHR(device.stat().st_mode), "the device node is still a device node"
    code, _, err = run_cli(check(plan, "--out", os.devnull), capsys)
    assert code == 0, err
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


def test_the_input_plan_is_never_overwritten(plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = plan.read_bytes()
    code, _, err = run_cli(check(plan, "--out", str(plan)), capsys)
    assert "is also an input" in one_line_error(code, err)
    assert plan.read_bytes() == before
    link = plan.with_name("alias.json")
    link.symlink_to(plan)
    code, _, err = run_cli(check(plan, "--out", str(link)), capsys)
    assert "is also an input" in one_line_error(code, err)
    assert plan.read_bytes() == before


@pytest.mark.parametrize("where", ["folder", "proc", "missing-folder"])
def test_impossible_destinations_are_one_line(
    where: str, plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = {"folder": tmp_path, "proc": Path("/proc/self/status"),
              "missing-folder": tmp_path / "no" / "such" / "report.json"}[where]
    code, _, err = run_cli(check(plan, "--out", str(target)), capsys)
    one_line_error(code, err)
    assert Path("/proc/self/status").exists()


def test_a_read_only_file_system_is_one_line(plan: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    result = read_only_mount(ro, [sys.executable, "-m", "popcornctl", *check(plan, "--out", str(ro / "report.json"))])
    if result is None:
        pytest.skip("no private mount namespace here (unshare -m)")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "read-only file system" in result.stderr and "Traceback" not in result.stderr


# -- plan/up --report and --out-dir ----------------------------------------------------------------------------
@pytest.mark.terraform
@pytest.mark.sandbox
def test_plan_report_to_a_folder_is_refused_before_anything_runs(
    tmp_path: Path, store: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tiny_repo(tmp_path / "repo", store)
    code, out, err = run_cli(["--repo", str(root), "plan", "dev", "--sandbox", "--report", str(tmp_path)], capsys)
    assert "is a folder" in one_line_error(code, err)
    assert "envs/dev" not in out, "nothing was planned"


@pytest.mark.terraform
@pytest.mark.sandbox
def test_plan_out_dir_that_is_a_file_is_refused(tmp_path: Path, store: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    root = tiny_repo(tmp_path / "repo", store)
    a_file = tmp_path / "plans"
    a_file.write_text("not a folder")
    code, _, err = run_cli(["--repo", str(root), "plan", "dev", "--sandbox", "--out-dir", str(a_file)], capsys)
    assert "is a file, not a folder" in one_line_error(code, err)


@pytest.mark.terraform
@pytest.mark.sandbox
def test_a_report_destination_that_fails_after_the_run_does_not_lose_the_report(
    tmp_path: Path, store: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    """The apply happened: its summary table is printed, the report is kept in the run folder, and the user told."""
    device = char_device_like_dev_full(tmp_path / "full")
    if device is None:
        pytest.skip("mknod is not allowed here")
    root = tiny_repo(tmp_path / "repo", store, sleep=0)
    args = ["--repo", str(root), "up", "dev", "--sandbox", "--auto-approve", "--no-checkov", "--skip-policy",
            "--reason", "fault test", "--report", str(device)]
    code, out, err = run_cli(args, capsys)
    assert code == 0, out + err  # the run went well; only the copy of its report could not be written
    assert "applied" in out or "done" in out, out
    assert "Traceback" not in err
    warning = next(line for line in err.splitlines() if line.startswith("popcornctl: warning: "))
    kept = Path(warning.rsplit("the report is at ", 1)[1].strip())
    assert json.loads(kept.read_text())["stacks"][0]["result"] == "applied"


def test_a_plan_whose_variables_is_a_string_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps({**PLAN, "variables": "dev"}))
    code, _, err = run_cli(check(bad), capsys)
    assert "variables is a JSON string" in one_line_error(code, err)


# -- durations ---------------------------------------------------------------------------------------------
def test_unlock_older_than_absurdly_long_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    (root / "envs" / "dev").mkdir(parents=True)
    (root / "envs" / "dev" / "main.tf").write_text("")
    (root / "popcorn.toml").write_text('[project]\nname = "x"\nregion = "ap-northeast-2"\n[backend]\nbucket = "b"\nlock_table = "t"\n'
                                       '[environments.dev]\nstack = "envs/dev"\n')
    code, _, err = run_cli(["--repo", str(root), "unlock", "--stack", "envs/dev", "--older-than", "1000000000d"], capsys)
    assert "--older-than '1000000000d' is longer than" in one_line_error(code, err)


def test_the_shared_duration_parser_bounds_diagnose_since() -> None:
    """The one parser diagnose switches to: an absurd --since is a one-line usage error, not an OverflowError."""
    from datetime import timedelta

    from popcornctl.common.durations import parse_duration
    from popcornctl.errors import PopcornError

    with pytest.raises(PopcornError, match="--since '99999999999999999999s' is longer than 14d"):
        parse_duration("99999999999999999999s", flag="--since", allow_zero=False, longest=timedelta(days=14))


def test_diagnose_since_absurdly_long_is_one_line(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "popcornctl", "--repo", str(REPO), "diagnose", "ecs", "--env", "dev",
         "--since", "99999999999999999999s"], capture_output=True, text=True, check=False, timeout=120,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr and "OverflowError" not in res.stderr
