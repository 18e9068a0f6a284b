"""``popcornctl unlock`` through the CLI (``popcornctl.cli.main``) against seeded locks on the emulator.

``--sandbox`` runs are aimed at the run's moto server by the ``on_sandbox`` fixture (it replaces
``Runtime.target``); tests/locks/test_locks_e2e.py drives a really started sandbox with real Terraform.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from locks_support import World, lock_info

from clirunner import run_cli
from popcornctl.locks import read_audit

pytestmark = pytest.mark.sandbox

DEV = "envs/dev"


run = run_cli


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def unlock(repo: Path, *args: str) -> list[str]:
    return ["--repo", str(repo), "unlock", *args, "--sandbox"]


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal: ``_interactive()`` is true; answers are fed with ``answers()``."""
    from popcornctl.commands import unlock as cmd

    monkeypatch.setattr(cmd, "_interactive", lambda: True)


def answers(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def state_dir() -> Path:
    import os

    return Path(os.environ["POPCORN_STATE_DIR"])


def test_nothing_held(on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(unlock(repo_dir, "--env", "dev"), capsys)
    assert code == 0
    assert "no state locks held on envs/dev, global/ecr" in out  # the env's stack and its dependencies
    assert out.startswith(f"target: sandbox at {on_sandbox.endpoint.removeprefix('http://')}")


def test_listing_shows_holder_and_age_and_deletes_nothing(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = lock_info(who="alice@laptop", age=timedelta(hours=3, minutes=12))
    on_sandbox.put_state(DEV)
    on_sandbox.put_item_lock(DEV, info)
    before = on_sandbox.items()
    code, out, _ = run(unlock(repo_dir, "--stack", DEV), capsys)
    assert code == 0  # listing only: no terminal, no --lock-id
    header = next(line for line in out.splitlines() if "lock id" in line)
    for column in ("stack", "where", "lock id", "operation", "who", "version", "created", "age"):
        assert column in header
    row = next(line for line in out.splitlines() if info["ID"] in line)
    for cell in (DEV, "dynamodb", "apply", "alice@laptop", "1.15.5", "3h 12m"):
        assert cell in row
    assert "nothing released" in out
    assert on_sandbox.items() == before


def test_json_listing(on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = lock_info()
    on_sandbox.put_lockfile(DEV, info)
    code, out, _ = run(["--output", "json", *unlock(repo_dir, "--env", "dev")], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["stacks"] == [DEV, "global/ecr"]
    (lock,) = data["locks"]
    assert lock["lock_id"] == info["ID"] and lock["where"] == "s3" and lock["who"] == "alice@laptop"
    assert lock["age_seconds"] >= 7200 and lock["unreadable"] is False


def test_no_tty_and_no_yes_refuses(on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = lock_info()
    on_sandbox.put_item_lock(DEV, info)
    before = on_sandbox.items()
    code, _, err = run(unlock(repo_dir, "--stack", DEV, "--lock-id", info["ID"]), capsys)
    line = one_line_error(code, err)
    assert "no terminal to ask for confirmation" in line and "--yes" in line
    assert on_sandbox.items() == before
    assert read_audit(state_dir()) == []


def test_young_lock_refused_unless_forced(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = lock_info(who="colleague@live", age=timedelta(minutes=2))
    on_sandbox.put_item_lock(DEV, info)
    on_sandbox.put_lockfile(DEV, info)
    code, _, err = run(unlock(repo_dir, "--stack", DEV, "--lock-id", info["ID"], "--yes"), capsys)
    line = one_line_error(code, err)
    assert "younger than --older-than 15m" in line and "colleague@live" in line and "--force" in line
    assert on_sandbox.backend.lock_id(DEV) in on_sandbox.items()
    code, _, err = run(unlock(repo_dir, "--stack", DEV, "--lock-id", info["ID"], "--yes", "--older-than", "1h"),
                       capsys)
    assert "younger than --older-than 1h" in one_line_error(code, err)
    code, out, _ = run(unlock(repo_dir, "--stack", DEV, "--lock-id", info["ID"], "--yes", "--force"), capsys)
    assert code == 0, out
    assert "released s3://" in out and "released dynamodb://" in out and out.count("confirmed gone") == 2
    assert on_sandbox.items() == {} and on_sandbox.objects() == {}


def test_older_than_zero_releases_a_fresh_lock(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = lock_info(age=timedelta(seconds=1))
    on_sandbox.put_lockfile(DEV, info)
    code, _, _ = run(unlock(repo_dir, "--stack", DEV, "--lock-id", info["ID"], "--yes", "--older-than", "0s"),
                     capsys)
    assert code == 0 and on_sandbox.objects() == {}


def test_release_is_audited_append_only(on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    on_sandbox.put_state(DEV)
    first, second = lock_info(who="a@one"), lock_info(who="b@two", age=timedelta(days=1))
    on_sandbox.put_item_lock(DEV, first)
    code, out, _ = run(unlock(repo_dir, "--stack", DEV, "--lock-id", first["ID"], "--yes"), capsys)
    assert code == 0 and "recorded in" in out
    on_sandbox.put_item_lock(DEV, second)
    on_sandbox.put_lockfile(DEV, second)
    code, _, _ = run(unlock(repo_dir, "--env", "dev", "--yes"), capsys)  # one lock held: --yes may pick it
    assert code == 0
    lines = (state_dir() / "unlock-audit.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["lock_id"], r["where"], r["holder"]) for r in records] == [
        (first["ID"], "dynamodb", "a@one"), (second["ID"], "s3", "b@two"), (second["ID"], "dynamodb", "b@two"),
    ]
    r = records[0]
    assert r["stack"] == DEV and r["outcome"] == "released" and r["method"] == "conditional-delete"
    assert r["released_by"].startswith("arn:aws:") and "@" in r["local_user"]
    assert r["age_seconds"] >= 7200 and r["released_at"] and r["info"] == json.dumps(first)
    assert set(on_sandbox.items()) == {on_sandbox.backend.lock_id(DEV) + "-md5"}  # the digest survives


def test_json_release(on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = lock_info()
    on_sandbox.put_item_lock(DEV, info)
    code, out, _ = run(["--output", "json", *unlock(repo_dir, "--stack", DEV, "--lock-id", info["ID"], "--yes")],
                       capsys)
    assert code == 0
    data = json.loads(out)
    assert [r["outcome"] for r in data["results"]] == ["released"]
    assert data["audit"][0]["lock_id"] == info["ID"]


def test_interactive_confirm(
    on_sandbox: World, repo_dir: Path, interactive: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = lock_info()
    on_sandbox.put_item_lock(DEV, info)
    answers(monkeypatch, "n")
    code, out, _ = run(unlock(repo_dir, "--stack", DEV), capsys)
    assert code == 1 and "not released" in out and f"lock {info['ID']}" in out
    assert on_sandbox.backend.lock_id(DEV) in on_sandbox.items()
    answers(monkeypatch, "y")
    code, out, _ = run(unlock(repo_dir, "--stack", DEV), capsys)
    assert code == 0 and "released dynamodb://" in out
    assert on_sandbox.items() == {}


def test_interactive_young_lock_is_not_offered(
    on_sandbox: World, repo_dir: Path, interactive: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_sandbox.put_item_lock(DEV, lock_info(age=timedelta(seconds=30)))
    answers(monkeypatch)  # any question would hit EOF
    code, out, _ = run(unlock(repo_dir, "--stack", DEV), capsys)
    assert code == 0 and "not offered for release" in out
    assert on_sandbox.items() != {}


def test_interactive_choice_among_several(
    on_sandbox: World, repo_dir: Path, interactive: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dev, ecr = lock_info(who="a@one"), lock_info(who="b@two")
    on_sandbox.put_item_lock(DEV, dev)
    on_sandbox.put_lockfile("global/ecr", ecr)
    answers(monkeypatch, "2", "y")  # rows are sorted by stack: 1 = envs/dev, 2 = global/ecr
    code, out, _ = run(unlock(repo_dir, "--env", "dev"), capsys)
    assert code == 0, out
    assert "Release which lock?" in out
    assert on_sandbox.objects() == {} and on_sandbox.backend.lock_id(DEV) in on_sandbox.items()


def test_several_locks_with_yes_and_no_lock_id_refuses(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_sandbox.put_item_lock(DEV, lock_info())
    on_sandbox.put_lockfile("global/ecr", lock_info())
    code, _, err = run(unlock(repo_dir, "--env", "dev", "--yes"), capsys)
    assert "2 locks are held" in one_line_error(code, err)
    assert len(on_sandbox.items()) == 1 and len(on_sandbox.objects()) == 1


def test_lock_replaced_while_the_user_confirms_is_not_deleted(
    on_sandbox: World, repo_dir: Path, interactive: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from popcornctl.commands import unlock as cmd

    stale, fresh = lock_info(who="stale@gone"), lock_info(who="colleague@live", age=timedelta(0))
    on_sandbox.put_state(DEV)
    on_sandbox.put_item_lock(DEV, stale)
    on_sandbox.put_lockfile(DEV, stale)

    def confirm_slowly(console: object, question: str) -> bool:
        # While the user reads the question, the stale run's locks go and a colleague's apply takes new ones.
        on_sandbox.put_lockfile(DEV, fresh)
        on_sandbox.put_item_lock(DEV, fresh)
        return True

    monkeypatch.setattr(cmd, "_confirm", confirm_slowly)
    code, out, _ = run(unlock(repo_dir, "--stack", DEV, "--lock-id", stale["ID"]), capsys)
    assert code == 1
    assert out.count("not released") == 2 and "colleague@live" in out
    assert json.loads(on_sandbox.items()[on_sandbox.backend.lock_id(DEV)]["Info"]["S"])["ID"] == fresh["ID"]
    assert json.loads(on_sandbox.objects()[f"{DEV}/terraform.tfstate.tflock"])["ID"] == fresh["ID"]
    assert on_sandbox.backend.lock_id(DEV) + "-md5" in on_sandbox.items()
    assert read_audit(state_dir()) == []


def test_malformed_info_is_shown_unreadable(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_sandbox.put_state(DEV)
    on_sandbox.put_item_lock(DEV, "{this is not json")
    code, out, _ = run(unlock(repo_dir, "--stack", DEV), capsys)
    assert code == 0
    row = next(line for line in out.splitlines() if "unreadable-" in line)
    assert "unreadable" in row and "dynamodb" in row
    assert "Info is not JSON" in out and "{this is not json" in out
    handle = next(word for word in row.split() if word.startswith("unreadable-"))
    code, _, err = run(unlock(repo_dir, "--stack", DEV, "--lock-id", handle, "--yes"), capsys)
    assert "its age is unknown" in one_line_error(code, err)
    code, out, _ = run(unlock(repo_dir, "--stack", DEV, "--lock-id", handle, "--yes", "--force"), capsys)
    assert code == 0 and "released" in out
    assert set(on_sandbox.items()) == {on_sandbox.backend.lock_id(DEV) + "-md5"}


def test_all_finds_locks_of_stacks_no_longer_in_the_tree(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = lock_info(who="ghost@old")
    on_sandbox.put_item_lock("retired/stack", info)
    code, out, _ = run(unlock(repo_dir, "--all"), capsys)
    assert code == 0 and "retired/stack" in out and "ghost@old" in out
    code, _, err = run(unlock(repo_dir, "--all", "--lock-id", info["ID"], "--yes", "--via-terraform"), capsys)
    assert "not in this repository" in one_line_error(code, err)
    code, _, _ = run(unlock(repo_dir, "--all", "--lock-id", info["ID"], "--yes"), capsys)
    assert code == 0 and on_sandbox.items() == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --env, --stack, --all (got none of them)"),
        (["--env", "dev", "--all"], "(got --env and --all)"),
        (["--stack", "envs/nope"], "unknown stack 'envs/nope'"),
        (["--env", "staging"], "unknown environment 'staging'"),
        (["--stack", DEV, "--older-than", "soon"], "'soon' is not a duration"),
        (["--stack", DEV, "--lock-id", "not-held", "--yes"], "no lock with ID not-held is held on envs/dev"),
    ],
)
def test_bad_input_is_one_line(
    on_sandbox: World, repo_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(unlock(repo_dir, *args), capsys)
    assert message in one_line_error(code, err)


def test_missing_table_is_one_line(on_sandbox: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    from locks_support import make_repo

    repo = make_repo(tmp_path / "r", replace(on_sandbox.backend, lock_table="gone-table"))
    code, _, err = run(unlock(repo, "--stack", DEV), capsys)
    assert "the lock table 'gone-table' does not exist" in one_line_error(code, err)


def test_sandbox_not_running_is_one_line(
    world: World, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(unlock(repo_dir, "--stack", DEV), capsys)  # no sandbox started for this user
    assert one_line_error(code, err) == (
        "popcornctl: error: the sandbox is not running — start it with: popcornctl sandbox start"
    )
