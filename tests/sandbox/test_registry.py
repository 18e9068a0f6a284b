"""The emulator's extension registry: every extension says what AWS does and which moto lacks it, and has a test."""

from __future__ import annotations

from pathlib import Path

from popcornctl.sandbox.extensions import Kind, registered

HERE = Path(__file__).parent


def test_every_extension_is_described() -> None:
    extensions = registered()
    assert extensions, "no extension registered"
    for ext in extensions:
        assert ext.id.count(".") == 1 and all(ext.id.split(".")), f"{ext.id}: ids are <service>.<what>"
        assert ext.summary.strip(), f"{ext.id}: empty summary"
        assert ext.moto_lacks.strip(), f"{ext.id}: say which moto version lacks it"
        assert isinstance(ext.kind, Kind)


def test_every_extension_has_a_test_naming_it() -> None:
    tests = "\n".join(p.read_text() for p in HERE.glob("test_*.py") if p.name != Path(__file__).name)
    missing = [ext.id for ext in registered() if ext.id not in tests]
    assert not missing, f"no test under tests/sandbox/ names these extensions: {missing}"
