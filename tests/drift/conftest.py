"""The small stack (fixtures/small) applied once per module on the emulator, changed by hand, planned twice.

One module-scoped apply serves every test of a module (about 20 s); each test reads what the fixture recorded:
the state, a normal plan and a refresh-only plan made after the hand-made changes (see smallstack.py).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from smallstack import SMALL, Small, hand_made_changes


@pytest.fixture(scope="module")
def small(tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Small:
    """The small stack applied, changed by hand, then planned twice (normal and -refresh-only)."""
    moto_server.reset()
    workdir = tmp_path_factory.mktemp("small")
    shutil.copy(SMALL / "main.tf", workdir / "main.tf")
    tf_session.apply(workdir, sandbox=moto_server)
    state_file = workdir / "terraform.tfstate"
    state = json.loads(state_file.read_text())
    made = hand_made_changes(moto_server.endpoint, state)
    before = state_file.read_bytes()
    plan = tf_session.plan_json(workdir, sandbox=moto_server, variables={"retention_days": "14"})
    engine = tf_session.engine(moto_server)
    env = tf_session.env(workdir, moto_server)
    refresh_file = workdir.parent / f"{workdir.name}-refresh.tfplan"
    result = engine.run(workdir, ["plan", "-refresh-only", "-input=false", "-lock=false", "-no-color",
                                  f"-out={refresh_file}", "-var=retention_days=14"], env=env)
    assert result.ok, result.output
    refresh_only = engine.show_json(workdir, refresh_file, env=env)
    return Small(workdir=workdir, endpoint=moto_server.endpoint, state=state, plan=plan, refresh_only=refresh_only,
                 state_before=before, state_after=state_file.read_bytes(), made=made)
