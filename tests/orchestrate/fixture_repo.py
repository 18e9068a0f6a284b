"""Small fixture repositories for the orchestrator: a popcorn.toml and bootstrap/global/envs stacks.

Stacks are built from Terraform's built-in ``terraform_data`` resource with ``local-exec`` provisioners that
sleep, fail, or write timestamps to a marks folder, and use the S3 backend (``backend "s3" {}``; the
values come from popcorn.toml through ``-backend-config``) on the test's emulator. ``envs/<env>`` reads
``global/a``'s state through ``terraform_remote_state`` (so the graph infers that dependency) and
``global/b`` comes from ``[dependencies]`` in popcorn.toml.

Also used by ``bench/up_parallel.py``.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

REGION = "ap-northeast-2"
BUCKET = "fx-tfstate"
TABLE = "fx-tf-locks"

AWS_BOOTSTRAP = f"""
terraform {{
  backend "s3" {{}}
  required_providers {{
    aws = {{
      source = "hashicorp/aws"
    }}
  }}
}}

provider "aws" {{
  region            = "{REGION}"
  s3_use_path_style = true
}}

resource "aws_s3_bucket" "state" {{
  bucket        = "{BUCKET}"
  force_destroy = true
}}

resource "aws_dynamodb_table" "locks" {{
  name         = "{TABLE}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {{
    name = "LockID"
    type = "S"
  }}
}}

output "bucket" {{
  value = aws_s3_bucket.state.bucket
}}
"""


def _sh(text: str) -> str:
    return json.dumps(text)  # an HCL string literal (JSON escaping is valid HCL)


@dataclass
class StackSpec:
    """One fixture stack."""

    sleep: float = 0.0
    fail: str | None = None  # a message printed to stderr before exit 1 (every time)
    fail_once: str | None = None  # ... only while the marker file does not exist (a transient error)
    value: str = "v1"
    extra: str = ""  # more HCL
    reads: list[str] = field(default_factory=list)  # stacks read through terraform_remote_state
    destroy_sleep: float = 0.0  # a destroy-time provisioner records timestamps (for down ordering)
    replace_on_change: bool = False  # value changes replace the resource (a "destroy" in the plan)

    def hcl(self, path: str, marks: Path) -> str:
        slug = path.replace("/", "-")
        mark = marks / f"{slug}.txt"
        steps = [f"echo start $(date +%s.%N) >> {mark}"]
        if self.sleep:
            steps.append(f"sleep {self.sleep}")
        if self.fail:
            steps.append(f"echo {_shell_quote(self.fail)} >&2; exit 1")
        if self.fail_once:
            marker = marks / f"{slug}.failed-once"
            steps.append(
                f"if [ ! -e {marker} ]; then touch {marker}; echo {_shell_quote(self.fail_once)} >&2; exit 1; fi"
            )
        steps.append(f"echo end $(date +%s.%N) >> {mark}")
        command = "; ".join(steps)
        destroy_steps = [f"echo dstart $(date +%s.%N) >> {mark}"]
        if self.destroy_sleep:
            destroy_steps.append(f"sleep {self.destroy_sleep}")
        destroy_steps.append(f"echo dend $(date +%s.%N) >> {mark}")
        destroy_command = "; ".join(destroy_steps)
        replace = "triggers_replace = var.value" if self.replace_on_change else ""
        reads = "".join(
            textwrap.dedent(
                f"""
                data "terraform_remote_state" "{other.replace('/', '_')}" {{
                  backend = "s3"
                  config = {{
                    bucket = "{BUCKET}"
                    key    = "{other}/terraform.tfstate"
                    region = "{REGION}"
                  }}
                }}
                """
            )
            for other in self.reads
        )
        upstream = " + ".join(
            f'length(data.terraform_remote_state.{o.replace("/", "_")}.outputs.value)' for o in self.reads
        )
        return textwrap.dedent(
            f"""
            terraform {{
              backend "s3" {{}}
            }}

            variable "value" {{
              type    = string
              default = {_sh(self.value)}
            }}
            {reads}
            resource "terraform_data" "work" {{
              input = var.value
              {replace}
              provisioner "local-exec" {{
                command = {_sh(command)}
              }}

              provisioner "local-exec" {{
                when    = destroy
                command = {_sh(destroy_command)}
              }}
            }}

            output "value" {{
              value = terraform_data.work.output
            }}

            output "upstream" {{
              value = {upstream or "0"}
            }}
            """
        ) + self.extra


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def write_repo(
    root: Path,
    stacks: dict[str, StackSpec | str],
    *,
    marks: Path,
    dependencies: dict[str, list[str]] | None = None,
    envs: dict[str, dict[str, object]] | None = None,
) -> Path:
    """Write a fixture repository under ``root``; a stack given as str is raw HCL."""
    root.mkdir(parents=True, exist_ok=True)
    marks.mkdir(parents=True, exist_ok=True)
    envs = envs if envs is not None else {"dev": {"stack": "envs/dev", "sandbox_var_file": "sandbox.tfvars"}}
    lines = [
        "[project]",
        'name = "fx"',
        f'region = "{REGION}"',
        "",
        "[backend]",
        f'bucket = "{BUCKET}"',
        f'lock_table = "{TABLE}"',
        'bootstrap_stack = "bootstrap"',
        "",
        "[dependencies]",
    ]
    for stack, deps in (dependencies or {}).items():
        lines.append(f'"{stack}" = [{", ".join(json.dumps(d) for d in deps)}]')
    for name, spec in envs.items():
        lines += ["", f"[environments.{name}]"]
        for key, value in spec.items():
            lines.append(f"{key} = {json.dumps(value)}")
    (root / "popcorn.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for path, spec in stacks.items():
        directory = root / path
        directory.mkdir(parents=True, exist_ok=True)
        text = spec if isinstance(spec, str) else spec.hcl(path, marks)
        (directory / "main.tf").write_text(text, encoding="utf-8")
    for spec in envs.values():
        var_file = spec.get("sandbox_var_file")
        if var_file and (root / str(spec["stack"])).is_dir():
            (root / str(spec["stack"]) / str(var_file)).write_text(
                '# sandbox profile: passed with -var-file only in --sandbox runs\nvalue = "sandbox"\n', encoding="utf-8"
            )
    return root


def diamond(root: Path, marks: Path, *, sleep: float = 0.0, aws_bootstrap: bool = False,
            overrides: dict[str, StackSpec] | None = None, prod: bool = False) -> Path:
    """bootstrap → global/a, global/b → envs/dev (and envs/prod when asked)."""
    specs: dict[str, StackSpec | str] = {
        "bootstrap": AWS_BOOTSTRAP if aws_bootstrap else StackSpec(sleep=sleep),
        "global/a": StackSpec(sleep=sleep),
        "global/b": StackSpec(sleep=sleep),
        "envs/dev": StackSpec(sleep=sleep, reads=["global/a"]),
    }
    envs: dict[str, dict[str, object]] = {"dev": {"stack": "envs/dev", "sandbox_var_file": "sandbox.tfvars"}}
    deps = {"global/a": ["bootstrap"], "global/b": ["bootstrap"], "envs/dev": ["global/b"]}
    if prod:
        specs["envs/prod"] = StackSpec(sleep=sleep, reads=["global/a"])
        envs["prod"] = {"stack": "envs/prod", "protected": True}
        deps["envs/prod"] = ["global/b"]
    for key, spec in (overrides or {}).items():
        specs[key] = spec
    return write_repo(root, specs, marks=marks, dependencies=deps, envs=envs)


def create_backend(endpoint: str) -> None:
    """Create the fixture's state bucket and lock table directly (tests that are not about bootstrap)."""
    import boto3

    kwargs = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    boto3.client("s3", **kwargs).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    boto3.client("dynamodb", **kwargs).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def read_marks(marks: Path, stack: str, kind: str = "") -> tuple[float, float]:
    """(first start, last end) timestamps a stack's create (kind "") or destroy (kind "d") provisioner wrote."""
    text = (marks / f"{stack.replace('/', '-')}.txt").read_text()
    starts = [float(line.split()[1]) for line in text.splitlines() if line.startswith(f"{kind}start ")]
    ends = [float(line.split()[1]) for line in text.splitlines() if line.startswith(f"{kind}end ")]
    return min(starts), max(ends)


def mark_count(marks: Path, stack: str, kind: str = "") -> int:
    """How many times a stack's create (or destroy, kind "d") provisioner ran to the end."""
    path = marks / f"{stack.replace('/', '-')}.txt"
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.startswith(f"{kind}end "))
