"""The init fingerprint: what makes a stack need `terraform init` again."""

from __future__ import annotations

from pathlib import Path

from popcornctl.orchestrate import fingerprint as fp


def test_fingerprint_follows_backend_and_module_sources(tmp_path: Path) -> None:
    stack, module = tmp_path / "envs/dev", tmp_path / "modules/vpc"
    stack.mkdir(parents=True)
    module.mkdir(parents=True)
    (stack / "main.tf").write_text('module "vpc" {\n  source = "../../modules/vpc"\n  cidr = "10.0.0.0/16"\n}\n')
    (stack / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (module / "main.tf").write_text('module "inner" {\n  source = "./inner"\n}\nresource "x" "y" {}\n')
    backend = {"bucket": "b", "key": "envs/dev/terraform.tfstate"}
    first = fp.fingerprint(stack, backend=backend)
    (stack / "main.tf").write_text((stack / "main.tf").read_text().replace("10.0.0.0/16", "10.1.0.0/16"))
    assert fp.fingerprint(stack, backend=backend) == first, "ordinary edits do not need init"
    assert fp.fingerprint(stack, backend={**backend, "bucket": "other"}) != first, "backend settings do"
    (module / "main.tf").write_text('module "inner" {\n  source = "./inner2"\n}\n')
    assert fp.fingerprint(stack, backend=backend) != first, "a module source change inside a module does"
    data = tmp_path / "data"
    assert not fp.is_current(data, first)
    fp.record(data, first)
    assert fp.is_current(data, first) and not fp.is_current(data, "other")
