"""Bootstrap's local phase mechanics: the shadow tree."""

from __future__ import annotations

import json
from pathlib import Path

from popcornctl.orchestrate import bootstrap as boot


def test_shadow_mirrors_the_tree_and_never_touches_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "bootstrap").mkdir(parents=True)
    (root / "modules/kms").mkdir(parents=True)
    (root / "bootstrap/main.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (root / "bootstrap/policy.json").write_text("{}")
    (root / "bootstrap/.terraform.lock.hcl").write_text("# lock\n")
    (root / "bootstrap/.terraform").mkdir()
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    phase = boot.LocalPhase(tmp_path / "state/bootstrap-local/bucket")
    shadow = boot.build_shadow(root, "bootstrap", phase)
    assert shadow == phase.shadow_root / "bootstrap"
    assert (shadow / "main.tf").is_symlink() and (shadow / "policy.json").is_symlink()
    assert (phase.shadow_root / "modules").is_symlink(), "relative module sources resolve"
    assert not (shadow / ".terraform").exists()
    assert (shadow / ".terraform.lock.hcl").read_text() == "# lock\n" and not (
        shadow / ".terraform.lock.hcl"
    ).is_symlink()
    override = (shadow / boot.OVERRIDE_FILE).read_text()
    assert 'backend "local"' in override and json.dumps(phase.state_file.as_posix()) in override
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before, "the real tree is untouched"
    boot.build_shadow(root, "bootstrap", phase)  # idempotent rebuild
    assert (shadow / boot.OVERRIDE_FILE).exists()
