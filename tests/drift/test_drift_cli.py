"""popcornctl drift on the command line: refusals before anything runs (one line, exit 2), formats, help."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import run_cli
from tfhelpers import REPO


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(["--repo", str(REPO), "--no-color", *args], capsys)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["drift", "qa", "--sandbox"], "unknown environment 'qa' — use one of: dev, prod"),
        (["drift", "dev", "--sandbox", "--only", "global/nope"], "--only 'global/nope' is not a stack of the dev run"),
        (["drift", "dev", "--output", "yaml"], "--output 'yaml' is not a format — use one of: text, json, markdown"),
        (["drift", "dev", "--sandbox"], "the sandbox is not running — start it with: popcornctl sandbox start"),
        (["drift", "dev", "--sandbox", "--parallelism", "0"], "--parallelism 0 is not allowed"),
    ],
    ids=["unknown env", "unknown stack", "unknown format", "no sandbox", "bad parallelism"],
)
def test_refusals_are_one_line_and_exit_2(args: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("popcornctl: error: ") and line in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("flag", ["--out", "--report"])
def test_a_report_file_that_cannot_be_written_is_refused_first(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder" / "drift.json"
    code, out, err = _cli(capsys, "drift", "dev", flag, str(missing))
    assert code == 2 and out == ""
    assert f"cannot write the report to {missing}: {missing.parent} does not exist" in err
    assert not missing.parent.exists()


def test_the_old_format_spelling_still_works_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "drift", "qa", "--format", "markdown")
    assert code == 2
    assert err.splitlines()[0] == "popcornctl: warning: --format is deprecated: use --output"


def test_help_names_the_exit_codes_and_the_read_only_promise(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "drift", "--help")
    text = " ".join(out.split())
    assert code == 0
    for needle in ("Exit 0: no drift and nothing unmanaged", "1: drift or unmanaged resources found",
                   "2: error or an incomplete scan", "no state lock taken", "--no-unmanaged", "--output",
                   "[[drift.ignore]]"):
        assert needle in text, needle


def test_drift_is_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "--help")
    assert code == 0 and "drift" in out
