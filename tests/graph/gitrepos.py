"""Small git repositories built in a test: a popcorn.toml, stacks, linked shared files, nested local modules.

The layout (what :func:`platform_repo` writes and commits as the first commit)::

    popcorn.toml              dev, prod (protected)
    README.md, docs/guide.txt, policies/pop_x.py, policies/README.md
    bootstrap/                state bucket (every stack depends on it; nobody reads it)
    global/ecr/               calls modules/registry
    global/dns/               read by no stack
    envs/_shared/main.tf      reads global/ecr's state; calls modules/app and modules/net
    envs/_shared/variables.tf, envs/_shared/README.md
    envs/dev/, envs/prod/     main.tf and variables.tf link to ../_shared/; terraform.tfvars of their own
    modules/app/              calls ../db (a nested local module)
    modules/db/, modules/net/ (net has an unused example root), modules/registry/
    modules/orphan/           called by nobody
"""

from __future__ import annotations

import subprocess
from pathlib import Path

TOML = """\
[project]
name = "demo"
region = "ap-northeast-2"

[backend]
bucket = "demo-state"
lock_table = "demo-locks"

[environments.dev]
stack = "envs/dev"

[environments.prod]
stack = "envs/prod"
protected = true
"""

REMOTE_ECR = """
data "terraform_remote_state" "ecr" {
  backend = "s3"
  config = {
    bucket = "demo-state"
    key    = "global/ecr/terraform.tfstate"
    region = "ap-northeast-2"
  }
}
"""

RESOURCE = 'resource "terraform_data" "x" {}\n'


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` (a test identity, no signing, no hooks); return stdout."""
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=test", "-c", "user.email=test@example.invalid",
         "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
        capture_output=True, text=True, check=True,
    )
    return done.stdout


def write(root: Path, files: dict[str, str]) -> None:
    """Write files (parents created)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def link(root: Path, rel: str, target: str) -> None:
    """Create the symlink ``rel`` -> ``target`` (relative, as committed)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def commit(root: Path, message: str) -> str:
    """Stage everything and commit; return the commit id."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def platform_repo(root: Path) -> str:
    """Write and commit the layout of the module docstring on branch ``main``; return the commit id."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, {
        "popcorn.toml": TOML,
        "README.md": "# demo\n",
        "docs/guide.txt": "how to\n",
        "policies/pop_x.py": "# a policy\n",
        "policies/README.md": "# policies\n",
        "bootstrap/main.tf": RESOURCE,
        "global/ecr/main.tf": 'module "registry" {\n  source = "../../modules/registry"\n}\n',
        "global/dns/main.tf": RESOURCE,
        "envs/_shared/main.tf": REMOTE_ECR
        + 'module "app" {\n  source = "../../modules/app"\n}\n\nmodule "net" {\n  source = "../../modules/net"\n}\n',
        "envs/_shared/variables.tf": 'variable "size" {\n  type = string\n}\n',
        "envs/_shared/README.md": "# the composition\n",
        "envs/dev/terraform.tfvars": 'size = "small"\n',
        "envs/prod/terraform.tfvars": 'size = "large"\n',
        "modules/app/main.tf": 'module "db" {\n  source = "../db"\n}\n',
        "modules/db/main.tf": RESOURCE,
        "modules/net/main.tf": RESOURCE,
        "modules/net/README.md": "# net\n",
        "modules/net/templates/routes.tpl": "${cidr}\n",
        "modules/net/examples/basic/main.tf": 'module "net" {\n  source = "../.."\n}\n',
        "modules/registry/main.tf": RESOURCE,
        "modules/orphan/main.tf": RESOURCE,
    })
    for env in ("dev", "prod"):
        link(root, f"envs/{env}/main.tf", "../_shared/main.tf")
        link(root, f"envs/{env}/variables.tf", "../_shared/variables.tf")
    return commit(root, "platform")
