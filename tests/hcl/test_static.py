"""`terraform fmt -check` and `terraform validate` (real provider from the mirror) over every Terraform folder.

The folders come from ``tfhelpers.terraform_dirs``: bootstrap/, global/*, envs/*, modules/* and
modules/*/examples/*, so a new stack, module or example is covered without touching this file. Stacks are
validated with ``init -backend=false`` (validation needs no state).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhelpers import REPO, terraform_dirs

pytestmark = pytest.mark.terraform

DIRS = terraform_dirs(REPO)
IDS = [d.relative_to(REPO).as_posix() for d in DIRS]


def test_the_tree_has_terraform_folders() -> None:
    """Guards the parametrization below against silently collecting nothing."""
    assert {"bootstrap", "global/ecr", "global/route53-acm", "modules/vpc", "modules/vpc/examples/basic"} <= set(IDS)


@pytest.mark.parametrize("folder", DIRS, ids=IDS)
def test_fmt(tf, folder: Path) -> None:
    res = tf.run(folder, "fmt", "-check", "-diff", "-no-color", check=False)
    assert res.returncode == 0, f"terraform fmt would change {folder.relative_to(REPO)}:\n{res.output}"


@pytest.mark.parametrize("folder", DIRS, ids=IDS)
def test_validate(tf, folder: Path) -> None:
    res = tf.validate(folder)
    assert res.returncode == 0, f"terraform validate failed in {folder.relative_to(REPO)}:\n{res.output}"
