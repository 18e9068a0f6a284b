"""What the stacks declare is what CI proves: the Terraform floor and the AWS provider constraint.

- Every stack, module and example declares the same floor (``required_version = ">= X.Y"``) and is validated with
  a Terraform X.Y binary (the system ``/usr/local/bin/terraform``; ``POPCORN_FLOOR_TERRAFORM`` names another one)
  here, and with the embedded engine in ``test_static.py``. Without such a binary the floor tests are skipped with
  the reason; the environments' plans with it are in ``tests/envs/test_envs_floor.py``.
- The AWS provider constraint admits the provider release of the mirror the tests run with, and no later minor.
- No expression relies on ``||``/``&&`` short-circuiting (Terraform evaluates both operands before 1.12, so
  ``var.x == null || var.x > 0`` fails with "argument must not be null" on 1.11): a null test guards its use with
  a conditional expression, ``var.x == null ? true : var.x > 0``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tfhelpers import REPO, Tf, declared_floor, floor_terraform, terraform_dirs

DIRS = terraform_dirs(REPO)
IDS = [d.relative_to(REPO).as_posix() for d in DIRS]
MIRROR_PROVIDER = Path("registry.terraform.io/hashicorp/aws")


def _terraform_blocks(folder: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.glob("*.tf")))


# --------------------------------------------------------------------------------------------- floor


def test_every_folder_declares_one_floor() -> None:
    floors = {
        d.relative_to(REPO).as_posix(): re.findall(r'required_version\s*=\s*"([^"]+)"', _terraform_blocks(d))
        for d in DIRS
    }
    assert all(len(f) == 1 for f in floors.values()), {k: v for k, v in floors.items() if len(v) != 1}
    assert {f[0] for f in floors.values()} == {f">= {declared_floor()}"}, floors


@pytest.fixture(scope="module")
def tf_floor(tf_session: Tf, tmp_path_factory: pytest.TempPathFactory) -> Tf:
    """The harness' runner on the floor binary (own data dirs: another Terraform version)."""
    binary, why = floor_terraform()
    if binary is None:
        pytest.skip(why)
    return Tf(mirror=tf_session.mirror, state_dir=tmp_path_factory.mktemp("floor-state"),
              data_root=tmp_path_factory.mktemp("floor-data"), terraform=binary)


@pytest.mark.terraform
def test_the_floor_binary_is_the_declared_floor(tf_floor: Tf) -> None:
    version = tf_floor.engine().version()
    assert version.startswith(declared_floor() + "."), version


@pytest.mark.terraform
@pytest.mark.parametrize("folder", DIRS, ids=IDS)
def test_validate_with_the_floor_version(tf_floor: Tf, folder: Path) -> None:
    res = tf_floor.validate(folder)
    assert res.returncode == 0, f"terraform {declared_floor()} validate failed in {folder.relative_to(REPO)}:\n{res.output}"


# --------------------------------------------------------------------------------------------- provider


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def admits(constraint: str, version: str) -> bool:
    """Terraform's version constraint semantics (=, !=, >, >=, <, <=, ~>), comma-separated clauses all hold."""
    v = _version(version)
    for clause in (c.strip() for c in constraint.split(",")):
        op, ref = re.fullmatch(r"(~>|>=|<=|!=|=|>|<)?\s*([0-9.]+)", clause).groups()  # type: ignore[union-attr]
        r = _version(ref)
        padded = r + (0,) * (len(v) - len(r))
        if op == "~>":
            upper = (*r[:-2], r[-2] + 1) if len(r) > 1 else (r[0] + 1,)
            if not (v >= padded and v[: len(upper)] < upper):
                return False
        elif not {
            None: v == padded, "=": v == padded, "!=": v != padded, ">": v > padded, ">=": v >= padded,
            "<": v < padded, "<=": v <= padded,
        }[op]:
            return False
    return True


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [("~> 5.100.0", "5.100.0", True), ("~> 5.100.0", "5.100.3", True), ("~> 5.100.0", "5.101.0", False),
     ("~> 5.100", "5.101.0", True), ("~> 5.100", "6.0.0", False), (">= 5.0, < 5.100", "5.100.0", False)],
)
def test_the_constraint_reader_follows_terraform(constraint: str, version: str, expected: bool) -> None:
    assert admits(constraint, version) is expected


def _aws_constraints(folder: Path) -> list[str]:
    text = _terraform_blocks(folder)
    return re.findall(r'aws\s*=\s*\{[^}]*source\s*=\s*"hashicorp/aws"[^}]*version\s*=\s*"([^"]+)"', text, re.S)


@pytest.mark.terraform
@pytest.mark.parametrize("folder", DIRS, ids=IDS)
def test_provider_constraint_is_what_the_tests_run(tf_session: Tf, folder: Path) -> None:
    mirror = tf_session.mirror
    tested = sorted(p.name for p in (mirror / MIRROR_PROVIDER).iterdir() if re.fullmatch(r"[0-9.]+", p.name))
    assert tested, f"no hashicorp/aws release in {mirror}"
    (constraint,) = _aws_constraints(folder)
    assert all(admits(constraint, v) for v in tested), f"{constraint} refuses the tested provider {tested}"
    newest = _version(max(tested, key=_version))
    next_minor = f"{newest[0]}.{newest[1] + 1}.0"
    assert not admits(constraint, next_minor), f"{constraint} admits {next_minor}, which no test has run"


# --------------------------------------------------------------------------------------------- short-circuit

NULL_TEST = re.compile(r"(?P<ref>(?:var|local|each\.value|[a-z_]+)\.[\w.]+|var\.\w+)\s*(?:==|!=)\s*null\s*(?P<op>\|\||&&)")
_STATEMENT_END = re.compile(r"\n\s*(?:[a-z_]+\s*=|}|\w+\s*\{)")


def short_circuit_uses(text: str) -> list[tuple[int, str]]:
    """(line, text) of every null test that is the left operand of || or && whose right operand uses the same
    value: it works only where Terraform short-circuits (1.12 and later)."""
    found = []
    for match in NULL_TEST.finditer(text):
        rest = text[match.end():]
        end = _STATEMENT_END.search(rest)
        operand = rest[: end.start() if end else len(rest)]
        if re.search(rf"(?<![\w.]){re.escape(match.group('ref'))}(?![\w])", operand):
            line = text.count("\n", 0, match.start()) + 1
            found.append((line, text.splitlines()[line - 1].strip()))
    return found


def test_the_short_circuit_finder_finds_what_1_11_rejects() -> None:
    bad = 'condition = var.x == null || (var.x >= 1 && var.x <= 5)\n  error_message = "x"\n'
    also_bad = "condition = alltrue([for s in var.s : s.rate == null || s.rate >= 0])\n"
    fine = 'condition = var.x == null ? true : var.x >= 1\n  error_message = "x"\n'
    other = "condition = var.kms == null || !var.create_kms_key\n"
    assert short_circuit_uses(bad) and short_circuit_uses(also_bad)
    assert not short_circuit_uses(fine) and not short_circuit_uses(other)


def _hcl_files() -> list[Path]:
    files: list[Path] = []
    for folder in DIRS:
        files.extend(p for p in sorted(folder.glob("*.tf")) if not p.is_symlink())
    return files


@pytest.mark.parametrize("path", _hcl_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_expression_relies_on_short_circuit_evaluation(path: Path) -> None:
    uses: list[Any] = short_circuit_uses(path.read_text())
    assert not uses, f"{path.relative_to(REPO)}: use `x == null ? true : ...` instead of ||/&&: {uses}"
