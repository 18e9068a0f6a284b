"""Repository conventions that need no Terraform run.

- Module conventions (docs/MODULE_CONTRACTS.md), for every folder under modules/: the four
  files, versions pinned as agreed, no provider blocks, `name`/`tags` inputs, every variable typed and described,
  every output described, secret-looking outputs sensitive, an examples/basic with its own provider.
- The shared stacks (bootstrap, global/*): region variable and default_tags as agreed; bootstrap's bucket/table defaults equal
  popcorn.toml's [backend] (the backend.tf files are checked against popcorn.toml by tests/foundation).
- docs/SECURITY.md lists exactly the `#checkov:skip` comments of the code, folder by folder.
- Every module README's generated inputs/outputs section is current (scripts/gen_module_docs.py).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tfhelpers import REPO

SHARED_STACKS = ("bootstrap", *sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("global/*") if p.is_dir()))
MODULES = sorted(d for d in (REPO / "modules").iterdir() if d.is_dir() and any(d.glob("*.tf")))
MODULE_IDS = [d.name for d in MODULES]
SECRET_WORDS = re.compile(r"(password|secret|token|private_key|credential)", re.I)


def _load_docs_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_module_docs", REPO / "scripts/gen_module_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_module_docs"] = module
    spec.loader.exec_module(module)
    return module


docs = _load_docs_script()


def blocks(folder: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Labelled blocks of one kind (variable, output, ...) across a folder's .tf files."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        for entry in docs.load_hcl(path).get(kind, []):
            found.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return found


def first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def contract_outputs() -> dict[str, list[str]]:
    """Module -> the outputs docs/MODULE_CONTRACTS.md promises (its "out" lists, one bullet per module)."""
    text = (REPO / "docs/MODULE_CONTRACTS.md").read_text()
    promised: dict[str, list[str]] = {}
    for bullet in re.split(r"\n- ", text)[1:]:
        module, _, rest = bullet.partition(":")
        out = re.search(r"\bout:?\s(.*)", rest, re.S)
        if out:
            names = re.findall(r"\b([a-z][a-z0-9_]+)\b(?![^(]*\))", out.group(1).split("\n\n")[0])
            promised[module.strip()] = [n for n in names if n not in {"map", "list", "string", "out"}]
    return promised


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_contract_outputs_exist(module: Path) -> None:
    promised = contract_outputs()
    assert module.name in promised, f"docs/MODULE_CONTRACTS.md has no bullet for modules/{module.name}"
    missing = [o for o in promised[module.name] if o not in blocks(module, "output")]
    assert not missing, f"docs/MODULE_CONTRACTS.md promises outputs modules/{module.name} lacks: {missing}"


# --------------------------------------------------------------------------------------------- modules


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_layout(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name}: {name} missing"
    example = module / "examples/basic"
    assert any(example.glob("*.tf")), f"{module.name}: examples/basic missing"
    providers = [p for path in example.glob("*.tf") for p in docs.load_hcl(path).get("provider", [])]
    regions = [first(p["aws"].get("region")) for p in providers if "aws" in p]
    assert "ap-northeast-2" in regions, f"{module.name}: examples/basic needs its own provider in ap-northeast-2"


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_versions(module: Path) -> None:
    terraform = [t for path in module.glob("*.tf") for t in docs.load_hcl(path).get("terraform", [])]
    assert len(terraform) == 1, f"{module.name}: one terraform block (versions.tf)"
    assert first(terraform[0]["required_version"]) == ">= 1.11"
    aws = first(first(terraform[0]["required_providers"])["aws"])
    assert first(aws["source"]) == "hashicorp/aws" and first(aws["version"]) == "~> 5.100.0"


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_configures_no_provider(module: Path) -> None:
    assert not [p for path in module.glob("*.tf") for p in docs.load_hcl(path).get("provider", [])], (
        f"{module.name}: providers are configured only in stacks and examples"
    )


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_variables_typed_and_described(module: Path) -> None:
    variables = blocks(module, "variable")
    assert {"name", "tags"} <= set(variables), f"{module.name}: every module takes `name` and `tags`"
    assert first(variables["name"].get("validation")), f"{module.name}: `name` needs a validation"
    assert first(variables["tags"]["type"]) == "${map(string)}" and first(variables["tags"]["default"]) == {}
    for name, body in variables.items():
        assert "type" in body, f"{module.name}: variable {name} has no type"
        assert len(str(first(body.get("description", "")))) >= 10, f"{module.name}: variable {name} has no description"


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_outputs_described_and_secrets_sensitive(module: Path) -> None:
    for name, body in blocks(module, "output").items():
        assert len(str(first(body.get("description", "")))) >= 10, f"{module.name}: output {name} has no description"
        if SECRET_WORDS.search(name) and not name.endswith(("_arn", "_arns", "_name", "_id")):
            assert first(body.get("sensitive")) is True, f"{module.name}: output {name} looks secret, mark it sensitive"


# --------------------------------------------------------------------------------------------- shared stacks


@pytest.mark.parametrize("stack", SHARED_STACKS)
def test_stack_provider_region_and_default_tags(stack: str) -> None:
    folder = REPO / stack
    region = blocks(folder, "variable")["region"]
    assert first(region["default"]) == "ap-northeast-2"
    providers = [p for path in folder.glob("*.tf") for p in docs.load_hcl(path).get("provider", [])]
    assert len(providers) == 1
    aws = providers[0]["aws"]
    assert first(aws["region"]) == "${var.region}"
    tags = first(first(aws["default_tags"])["tags"])
    for key in ("Project", "Environment", "ManagedBy", "Owner"):
        assert key in tags, f"{stack}: default_tags lacks {key}"
    assert blocks(folder, "variable")["owner"], "Owner comes from var.owner"
    assert (folder / "README.md").is_file() and (folder / "backend.tf").is_file()


def test_bootstrap_names_match_popcorn_toml() -> None:
    """The state bucket and lock table are named once (popcorn.toml); bootstrap creates exactly those."""
    backend = tomllib.loads((REPO / "popcorn.toml").read_text())["backend"]
    variables = blocks(REPO / "bootstrap", "variable")
    assert first(variables["state_bucket_name"]["default"]) == backend["bucket"]
    assert first(variables["lock_table_name"]["default"]) == backend["lock_table"]
    # The key the backends encrypt state with is the alias bootstrap gives its key by default.
    alias_default = first(variables["kms_key_alias"]["default"])
    project = first(variables["project"]["default"])
    assert alias_default is None and backend["kms_key_id"] == f"alias/{project}-tfstate"
    assert 'coalesce(var.kms_key_alias, "alias/${var.project}-tfstate")' in (REPO / "bootstrap/main.tf").read_text()


# --------------------------------------------------------------------------------------------- SECURITY.md

SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
BLOCK = re.compile(r'^(resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{')
OWNER_GLOBS = ("bootstrap", "global/*", "modules/*", "envs/*")


def _owners() -> list[Path]:
    return [d for pattern in OWNER_GLOBS for d in sorted(REPO.glob(pattern)) if d.is_dir()]


def code_skips(owner: Path) -> set[tuple[str, str]]:
    """(check id, block address) for every skip comment under a folder (module examples included)."""
    found: set[tuple[str, str]] = set()
    for path in sorted(owner.rglob("*.tf")):
        if ".terraform" in path.parts or path.is_symlink():
            continue  # a linked file's skips belong to the folder it lives in (envs/_shared)
        current = ""
        for number, line in enumerate(path.read_text().splitlines(), 1):
            block = BLOCK.match(line)
            if block:
                kind, a, b = block.groups()
                current = {"resource": f"{a}.{b}", "data": f"data.{a}.{b}", "module": f"module.{a}"}[kind]
            skip = SKIP.search(line)
            if skip:
                reason = (skip.group(2) or "").strip()
                where = f"{path.relative_to(REPO)}:{number}"
                assert len(reason) >= 20, f"{where}: checkov:skip={skip.group(1)} needs a real reason"
                found.add((skip.group(1), current))
    return found


def doc_sections() -> dict[str, list[list[str]]]:
    """Heading (exactly a folder path) -> its table rows (cells without backticks), header row first."""
    sections: dict[str, list[list[str]]] = {}
    current = None
    for line in (REPO / "docs/SECURITY.md").read_text().splitlines():
        if line.startswith("#"):
            # Only a heading that is exactly a folder path opens a section; any other heading closes it.
            heading = re.match(r"^#{2,}\s+`?([\w./-]+)`?\s*$", line)
            current = heading.group(1) if heading else None
            if current:
                sections[current] = []
        elif current and line.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", line):
            sections[current].append([c.strip().strip("`") for c in line.strip().strip("|").split("|")])
    return sections


@pytest.mark.parametrize("owner", _owners(), ids=[d.relative_to(REPO).as_posix() for d in _owners()])
def test_security_md_lists_exactly_the_skips(owner: Path) -> None:
    key = owner.relative_to(REPO).as_posix()
    skips = code_skips(owner)
    sections = doc_sections()
    if not skips:
        rows = sections.get(key, [])[1:]
        assert not rows, f"docs/SECURITY.md ({key}) lists skips the code no longer has: {rows}"
        return
    assert key in sections, f"docs/SECURITY.md has no '## {key}' section for its skips {sorted(skips)}"
    header, *rows = sections[key]
    if "Resource" in header:
        check_col, resource_col = header.index("Check"), header.index("Resource")
        documented = {(r[check_col], r[resource_col]) for r in rows}
        assert skips == documented, (
            f"docs/SECURITY.md ({key}) and the code disagree.\n"
            f"  skipped in code, not documented: {sorted(skips - documented)}\n"
            f"  documented, not skipped in code: {sorted(documented - skips)}"
        )
    else:
        documented_ids = {r[0] for r in rows}
        assert {c for c, _ in skips} == documented_ids, f"docs/SECURITY.md ({key}) and the code disagree"


def test_security_md_has_no_section_for_unknown_folders() -> None:
    known = {d.relative_to(REPO).as_posix() for d in _owners()}
    stray = [h for h in doc_sections() if "/" in h or h == "bootstrap"]
    assert set(stray) <= known, f"sections for folders that do not exist: {sorted(set(stray) - known)}"


# --------------------------------------------------------------------------------------------- generated README docs

DOC_TARGETS = docs.targets(REPO)


@pytest.mark.parametrize("folder", DOC_TARGETS, ids=[d.relative_to(REPO).as_posix() for d in DOC_TARGETS])
def test_readme_inputs_outputs_current(folder: Path) -> None:
    current, fresh = docs.updated_readme(folder)
    assert current == fresh, (
        f"{folder.relative_to(REPO)}/README.md is stale: run python scripts/gen_module_docs.py "
        f"{folder.relative_to(REPO)}"
    )


def test_every_shared_stack_and_module_has_generated_docs() -> None:
    expected = {
        "modules/vpc",
        "modules/security-groups",
        "modules/iam",
        "modules/alb",
        "modules/cloudmap",
        "global/account",
        *SHARED_STACKS,
    }
    assert expected <= {d.relative_to(REPO).as_posix() for d in DOC_TARGETS}


def test_gen_module_docs_check_and_write(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "modules/cloudmap", root / "modules/cloudmap", ignore=shutil.ignore_patterns(".terraform*"))
    assert docs.main(["--check", "--root", str(root)]) == 0

    variables = root / "modules/cloudmap/variables.tf"
    variables.write_text(
        variables.read_text().replace('description = "TTL in seconds', 'description = "Changed: TTL in seconds')
    )
    assert docs.main(["--check", "--root", str(root)]) == 1, "a changed description must make the README stale"
    assert docs.main(["--root", str(root)]) == 0
    assert "Changed: TTL in seconds" in (root / "modules/cloudmap/README.md").read_text()
    assert docs.main(["--check", "--root", str(root)]) == 0

    (root / "modules/cloudmap/README.md").write_text("# no markers\n")
    assert docs.main(["--check", "--root", str(root)]) == 1


def test_gen_module_docs_renders_types_defaults_and_sensitivity(tmp_path: Path) -> None:
    module = tmp_path / "modules/demo"
    module.mkdir(parents=True)
    (module / "variables.tf").write_text("""variable "name" {
  description = "Name \\"prefix\\" | with a pipe"
  type        = string
}

variable "shape" {
  description = <<-EOT
    A typed object.
  EOT
  type = object({
    port     = number            # the port
    patterns = optional(list(string), ["/*"])
  })
  default = {}
}
""")
    (module / "outputs.tf").write_text(
        'output "token" {\n  description = "A secret."\n  value = "x"\n  sensitive = true\n}\n'
    )
    (module / "README.md").write_text("# demo\n\n<!-- BEGIN_TF_DOCS -->\n<!-- END_TF_DOCS -->\n")
    assert docs.main(["--root", str(tmp_path)]) == 0
    text = (module / "README.md").read_text()
    assert 'Name "prefix" \\| with a pipe' in text
    assert '`object({port = number, patterns = optional(list(string), ["/*"])})`' in text
    assert "| `{}` | no |" in text and "| n/a | yes |" in text
    assert "A secret. (sensitive)" in text
