"""Bootstrap's strategy with a scripted engine: local state first, then migration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import NOOP, FakeEngine, FakeProbe, fake_runner

from popcornctl.orchestrate import bootstrap as boot


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


def results(report: object) -> dict[str, str]:
    return {s.stack: s.result for s in report.stacks}  # type: ignore[attr-defined]


def test_bootstrap_first_run_uses_a_shadow_and_migrates(root: Path) -> None:
    probe = FakeProbe(bucket=False, applied=set())
    engine = FakeEngine(root)
    runner = fake_runner(root, engine=engine, probe=probe, only=("bootstrap",))
    phase = runner._phase()

    def created(stack: str) -> None:  # the local apply creates the bucket and writes local state
        assert stack == "shadow:bootstrap"
        phase.state_file.write_text(json.dumps({"resources": [{"mode": "managed"}]}))
        probe.bucket = True

    def migrated(_: object) -> None:
        probe.applied.add("bootstrap")

    engine.on_apply = created
    real_init = engine.init

    def init(workdir: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        result = real_init(workdir, **kwargs)  # type: ignore[arg-type]
        if kwargs.get("migrate_state"):
            migrated(None)
        return result

    engine.init = init  # type: ignore[method-assign]
    report = runner.run()
    assert report.exit_code == 0, [(s.stack, s.reason) for s in report.stacks]
    shadow_calls = [c for s, c, _, _ in engine.calls if s == "shadow:bootstrap"]
    assert shadow_calls == ["init", "plan", "apply"]
    migrate = [(s, args, env) for s, c, args, env in engine.calls if c == "init" and "-migrate-state" in args]
    assert len(migrate) == 1
    stack, args, env = migrate[0]
    assert stack == "bootstrap", "the migration runs in the real folder"
    assert env["TF_DATA_DIR"] == str(phase.data_dir), "... with the local phase's data dir"
    assert "-backend-config=key=bootstrap/terraform.tfstate" in args
    assert not phase.state_file.exists() and list(phase.base.glob("terraform.tfstate.migrated-*"))
    assert not (root / "bootstrap" / boot.OVERRIDE_FILE).exists()
    assert any("state migrated from local to s3://" in n for n in report.result_of("bootstrap").notes)
    # Second run: the bucket and the remote state exist → no shadow, no migration.
    engine2 = FakeEngine(root, plans={"bootstrap": [NOOP]})
    report = fake_runner(root, engine=engine2, probe=probe, only=("bootstrap",)).run()
    assert results(report) == {"bootstrap": "up_to_date"}
    assert {s for s, _, _, _ in engine2.calls} == {"bootstrap"}
    assert not [a for _, c, a, _ in engine2.calls if "-migrate-state" in a]


def test_interrupted_bootstrap_resumes_with_the_migration(root: Path) -> None:
    probe = FakeProbe(bucket=True, applied=set())
    engine = FakeEngine(root, plans={"bootstrap": [NOOP]})
    runner = fake_runner(root, engine=engine, probe=probe, only=("bootstrap",))
    phase = runner._phase()
    phase.base.mkdir(parents=True)
    phase.state_file.write_text(json.dumps({"resources": [{"mode": "managed"}]}))
    real_init = engine.init

    def init(workdir: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        if kwargs.get("migrate_state"):
            probe.applied.add("bootstrap")
        return real_init(workdir, **kwargs)  # type: ignore[arg-type]

    engine.init = init  # type: ignore[method-assign]
    report = runner.run()
    assert report.exit_code == 0
    notes = report.result_of("bootstrap").notes
    assert any("resuming an interrupted bootstrap" in n for n in notes)
    assert [c for s, c, a, _ in engine.calls if "-migrate-state" in a] == ["init"]
    assert engine.commands("bootstrap")[-2:] == ["init", "plan"], "then the remote state is used directly"
