"""The CLI shell: one help source, global options, and one-line user errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clirunner import run_cli


def _one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _summaries() -> dict[str, str]:
    """Each command's one-line summary: the first paragraph of the help its module gives it."""
    from popcornctl.commands import COMMANDS
    from popcornctl.commands.app import build_command

    app = build_command()
    return {name: " ".join((app.commands[name].help or "").split("\n\n")[0].split()) for name, _ in COMMANDS}


def test_help_lists_every_command_the_app_has(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # no wrapping, so each summary is on one line
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    from popcornctl.commands import COMMANDS
    from popcornctl.commands.app import build_command

    assert sorted(build_command().commands) == sorted(name for name, _ in COMMANDS)
    for name, summary in _summaries().items():
        assert f" {name} " in out and summary in out, name
    assert run_cli([], capsys) == (0, out, "")  # `popcornctl` alone prints the same help


def test_global_options_in_the_help_exist_in_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    from popcornctl.commands.app import build_command

    app_opts = {opt for p in build_command().params for opt in p.opts}
    _, out, _ = run_cli(["--help"], capsys)
    for option in ("--repo", "--output", "--terraform", "--verbose", "-v", "--no-color", "--version"):
        assert option in app_opts
        assert option in out


def test_the_help_is_rendered_once_then_served_without_typer(tmp_path: Path) -> None:
    """The first `--help` renders with Typer and keeps the text; the next prints the same text without Typer."""
    code = (
        "import io, sys, contextlib\nfrom popcornctl.cli import main\nout = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "print(repr(out.getvalue())); print('typer' in sys.modules)"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run() -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        text, typer_loaded = done.stdout.strip().splitlines()[-2:]
        return text, typer_loaded

    first, second = run(), run()
    assert first[1] == "True" and second[1] == "False"
    assert first[0] == second[0] and "Usage: popcornctl" in first[0]
    assert len(list((tmp_path / "cache" / "popcornctl" / "help").glob("*.txt"))) == 1


def test_the_help_cache_key_covers_what_shapes_the_help(monkeypatch: pytest.MonkeyPatch) -> None:
    from popcornctl import cli
    from popcornctl.commands import COMMANDS

    base = cli._help_key()
    assert all(f"{module.rsplit('.', 1)[-1]}.py " in base for _, module in COMMANDS)
    for name, value in (("COLUMNS", "200"), ("NO_COLOR", "1"), ("TERM", "dumb")):
        monkeypatch.setenv(name, value)
        assert cli._help_key() != base, name
        monkeypatch.delenv(name)


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
    """doctor reports a bad --terraform in its table (every other command refuses it up front)."""
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
