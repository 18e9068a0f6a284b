"""policies/waivers.toml and policies/checkov.toml: the same loader and the same one-line errors as popcorn.toml,
refused before a run plans anything."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from clirunner import run_cli
from popcornctl.errors import PopcornError
from popcornctl.policy.checkov import Rating, load_ratings
from popcornctl.policy.waivers import load_waivers
from tfhelpers import REPO

WAIVER = (
    '[[waiver]]\nid = "POP-RDS-003"\naddress = "module.rds.aws_db_instance.this"\nreason = "r"\n'
    'expires = 2026-12-31\napproved_by = "lead@example.com"\n'
)
RATING = '[CKV_AWS_17]\nseverity = "critical"\nequivalent = "POP-RDS-002"\nnote = "n"\n'


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_repository_files_load() -> None:
    assert load_ratings(REPO / "policies" / "checkov.toml")
    for name in ("waivers.toml", "sandbox-waivers.toml"):
        load_waivers(REPO / "policies" / name)


@pytest.mark.parametrize("key", ["id", "address", "reason", "expires", "approved_by"])
def test_every_waiver_key_is_required_and_typed(key: str, tmp_path: Path) -> None:
    from popcornctl.policy.waivers import WaiverEntry

    assert key in [f.name for f in dataclasses.fields(WaiverEntry)]
    line = next(line for line in WAIVER.splitlines() if line.startswith(f"{key} ="))
    with pytest.raises(PopcornError) as missing:
        load_waivers(_file(tmp_path, "w.toml", WAIVER.replace(line + "\n", "")))
    assert f"[[waiver]] #1 has no {key} — add {key} = " in missing.value.line()
    with pytest.raises(PopcornError) as wrong:
        load_waivers(_file(tmp_path, "w.toml", WAIVER.replace(line, f"{key} = [1]")))
    assert f"[[waiver]] #1 {key} = [1] is not a" in wrong.value.line()


def test_waiver_typos(tmp_path: Path) -> None:
    with pytest.raises(PopcornError) as err:
        load_waivers(_file(tmp_path, "w.toml", WAIVER.replace("expires", "expire")))
    assert err.value.line().endswith(
        "unknown key 'expire' in [[waiver]] #1 (did you mean 'expires'?) — rename it to expires"
    )
    with pytest.raises(PopcornError) as err:
        load_waivers(_file(tmp_path, "w.toml", WAIVER + WAIVER.replace('reason = "r"', 'reason = "  "')))
    assert '[[waiver]] #2 reason = "  " is empty' in err.value.line()


def test_a_waiver_keeps_its_meaning(tmp_path: Path) -> None:
    (waiver,) = load_waivers(_file(tmp_path, "w.toml", WAIVER.replace('"r"', '"  reason  "')), label="x.toml")
    assert (waiver.id, waiver.reason, waiver.expires, waiver.entry, waiver.source) == (
        "POP-RDS-003", "reason", dt.date(2026, 12, 31), 1, "x.toml"
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (RATING.replace("equivalent", "equivalnet"),
         "unknown key 'equivalnet' in [CKV_AWS_17] (did you mean 'equivalent'?) — rename it to equivalent"),
        (RATING.replace('"critical"', '"severe"'),
         '[CKV_AWS_17] severity = "severe" is not one of critical, high, medium, low'),
        (RATING.replace('severity = "critical"\n', ""), "[CKV_AWS_17] has no severity"),
        (RATING.replace('"POP-RDS-002"', '"RDS-2"'), 'equivalent = "RDS-2" is not a policy id of ours'),
        (RATING.replace('note = "n"', "note = 3"), "[CKV_AWS_17] note = 3 is not a string"),
        (RATING.replace("[CKV_AWS_17]", "[CKV-AWS-17]"), "[CKV-AWS-17] is not a Checkov check id"),
        ('severity = "high"\n', "[severity] is not a Checkov check id"),
    ],
)
def test_checkov_table_typos(text: str, needle: str, tmp_path: Path) -> None:
    with pytest.raises(PopcornError) as err:
        load_ratings(_file(tmp_path, "checkov.toml", text))
    assert needle in err.value.line()


def test_a_rating_keeps_its_meaning(tmp_path: Path) -> None:
    ratings = load_ratings(_file(tmp_path, "checkov.toml", RATING + '[CKV2_AWS_30]\nseverity = "low"\n'))
    assert ratings == {
        "CKV_AWS_17": Rating("critical", "POP-RDS-002", "n"),
        "CKV2_AWS_30": Rating("low"),
    }


# -- refused before anything runs ------------------------------------------------------------------------------------

class NeverRuns:
    def __init__(self) -> None:
        self.called = False

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        self.called = True
        return 0


@pytest.fixture
def policy_repo(tmp_path: Path) -> Path:
    """The repository's popcorn.toml and policies/ (policies and their TOML files), to break one of them."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "popcorn.toml").write_text((REPO / "popcorn.toml").read_text())
    for source in (REPO / "policies").iterdir():
        if source.suffix in (".toml", ".py"):
            (tmp_path / "policies" / source.name).write_text(source.read_text())
    return tmp_path


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("checkov.toml", RATING.replace("equivalent", "equivalnet"), "unknown key 'equivalnet' in [CKV_AWS_17]"),
        ("waivers.toml", WAIVER.replace("expires", "expire"), "unknown key 'expire' in [[waiver]] #1"),
        ("sandbox-waivers.toml", WAIVER.replace("2026-12-31", '"soon"'), 'expires = "soon" is not a date'),
    ],
)
def test_up_refuses_a_broken_policy_file_before_planning(
    name: str, text: str, needle: str, policy_repo: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import popcornctl.orchestrate

    (policy_repo / "policies" / name).write_text(text)
    work = NeverRuns()
    monkeypatch.setattr(popcornctl.orchestrate, "execute", work)
    code, _, err = run_cli(["--repo", str(policy_repo), "up", "dev", "--auto-approve", "--sandbox"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and needle in err and name in err
    assert not work.called


def test_policy_check_refuses_a_checkov_table_typo(policy_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (policy_repo / "policies" / "checkov.toml").write_text(RATING.replace("equivalent", "equivalnet"))
    folder = REPO / "tests" / "policy" / "fixtures" / "prod"
    code, out, err = run_cli(["--repo", str(policy_repo), "policy-check", str(folder), "--no-checkov"], capsys)
    assert code == 2 and out == "" and "unknown key 'equivalnet' in [CKV_AWS_17]" in err
