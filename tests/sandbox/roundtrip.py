"""Apply a configuration into the emulator with the real provider, plan it again, destroy it.

The configuration is copied to a temporary folder (module sources made absolute), so its local state and lock file
never land in the tree. A configuration the emulator reads back as it was written plans no change the second time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfhelpers import REPO, Tf


def copy_config(folder: Path, dest: Path) -> Path:
    """``folder``'s .tf files in ``dest``, relative module sources resolved against ``folder``."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.tf"):
        text = re.sub(
            r'(source\s*=\s*")(\.{1,2}/[^"]*)(")',
            lambda m: m.group(1) + (folder / m.group(2)).resolve().as_posix() + m.group(3),
            path.read_text(),
        )
        (dest / path.name).write_text(text)
    return dest


def copy_example(example: str, dest: Path) -> Path:
    """``modules/<module>/examples/<name>`` (given as that path) copied by :func:`copy_config`."""
    return copy_config(REPO / example, dest)


def changes(plan: Mapping[str, Any]) -> list[str]:
    """``address: actions`` of every managed resource the plan would change."""
    return [
        f"{rc['address']}: {'/'.join(rc['change']['actions'])}"
        for rc in plan.get("resource_changes", [])
        if rc["mode"] == "managed" and rc["change"]["actions"] != ["no-op"]
    ]


@dataclass
class Roundtrip:
    """A configuration's apply, second plan and destroy against the emulator."""

    tf: Tf
    sandbox: Any
    workdir: Path
    variables: Mapping[str, str]

    def apply(self, **overrides: str) -> None:
        self.tf.apply(self.workdir, sandbox=self.sandbox, variables={**self.variables, **overrides})

    def second_plan(self, **overrides: str) -> list[str]:
        """What a plan right after the apply would change (nothing, when the emulator reads back faithfully)."""
        plan = self.tf.plan_json(self.workdir, sandbox=self.sandbox, variables={**self.variables, **overrides})
        return changes(plan)

    def state(self) -> dict[str, Any]:
        engine = self.tf.engine(self.sandbox)
        return engine.show_json(self.workdir, env=self.tf.env(self.workdir, self.sandbox))

    def destroy(self, **overrides: str) -> None:
        """A destroy plan applied, the way ``popcornctl down`` destroys."""
        engine = self.tf.engine(self.sandbox)
        env = self.tf.env(self.workdir, self.sandbox)
        plan_file = self.tf.data_dir(self.workdir, "sandbox") / "destroy.tfplan"
        res = engine.plan(self.workdir, plan_file, variables={**self.variables, **overrides}, destroy=True, env=env)
        assert res.ok, f"terraform plan -destroy failed in {self.workdir}:\n{res.output}"
        res = engine.apply(self.workdir, plan_file, env=env)
        assert res.ok, f"terraform destroy failed in {self.workdir}:\n{res.output}"


def managed(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every managed resource of a ``terraform show -json`` state, child modules included."""
    found: list[dict[str, Any]] = []
    modules = [state.get("values", {}).get("root_module", {})]
    while modules:
        module = modules.pop()
        found.extend(r for r in module.get("resources", []) if r["mode"] == "managed")
        modules.extend(module.get("child_modules", []))
    return found
