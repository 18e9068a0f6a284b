"""docs/DRIFT.md says which kinds of resource the unmanaged inventory covers: the same list as the registry."""

from __future__ import annotations

from popcornctl.drift.inventory import coverage_rows
from tfhelpers import REPO

DOC = (REPO / "docs" / "DRIFT.md").read_text(encoding="utf-8")


def test_the_coverage_table_is_the_listers_registry() -> None:
    table = DOC.split("<!-- BEGIN_COVERAGE -->", 1)[1].split("<!-- END_COVERAGE -->", 1)[0]
    rows = table.strip().splitlines()[2:]
    assert rows == [f"| `{kind}` | {how} |" for kind, how in coverage_rows()]


def test_the_readme_names_the_command_and_the_doc() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "popcornctl drift dev" in readme and "docs/DRIFT.md" in readme
