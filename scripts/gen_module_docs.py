#!/usr/bin/env python3
"""Regenerate the requirements/inputs/outputs section of every Terraform module README.

The section sits between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` (the terraform-docs markers) and
is built from the module's own HCL, parsed with the ``hcl2`` package (bc-python-hcl2, the python-hcl2 fork Checkov
ships and this project pins: attribute values come wrapped in one-element lists, blocks carry ``__start_line__`` /
``__end_line__``). Type constraints are copied from the source text, since the parser turns them into Python reprs.

Every ``modules/*`` folder must have a README with the markers. Stacks (``bootstrap``, ``global/*``, ``envs/*``)
are documented the same way when their README carries the markers.

    python scripts/gen_module_docs.py                  # rewrite stale READMEs
    python scripts/gen_module_docs.py --check          # exit 1 when any README is stale or lacks the markers
    python scripts/gen_module_docs.py modules/vpc      # only the named folders
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hcl2.api import load as hcl2_load

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
REPO = Path(__file__).resolve().parents[1]
MODULE_GLOBS = ("modules/*",)
STACK_GLOBS = ("bootstrap", "global/*", "envs/*")

_ESCAPES = {'\\"': '"', "\\\\": "\\", "\\n": "\n", "\\t": "\t"}
_ESCAPE_RE = re.compile(r'\\["\\nt]')
_TYPE_LINE = re.compile(r"^\s*type\s*=\s*(.*)$")
_INTERPOLATION = re.compile(r"^\$\{(.*)\}$", re.S)


@dataclass(frozen=True)
class Variable:
    """One input variable as the README shows it."""

    name: str
    description: str
    type: str
    default: str | None
    required: bool
    sensitive: bool


@dataclass(frozen=True)
class Output:
    """One output as the README shows it."""

    name: str
    description: str
    sensitive: bool


@dataclass(frozen=True)
class ModuleDoc:
    """What the generated section says about one folder."""

    required_version: str | None
    providers: dict[str, str]
    variables: list[Variable]
    outputs: list[Output]


def _unquote(value: str) -> str:
    """Decode the HCL escapes the parser leaves in quoted strings (and drop surrounding quotes if any)."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], value)


def _first(block: dict[str, Any], key: str) -> Any:
    """An attribute's value: bc-python-hcl2 wraps every attribute value in a one-element list."""
    value = block.get(key)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _labelled(blocks: Iterable[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in blocks:
        for label, body in block.items():
            if not label.startswith("__"):
                yield _unquote(label), body


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one .tf file with the hcl2 package."""
    with path.open(encoding="utf-8") as fh:
        parsed: dict[str, Any] = hcl2_load(fh)
    return parsed


def _type_text(lines: list[str], start: int, end: int) -> str | None:
    """The `type = ...` expression of the block spanning lines start..end (1-based), copied from the source."""
    depth = 0
    for index in range(start, min(end, len(lines))):
        line = lines[index]
        match = _TYPE_LINE.match(line) if depth == 0 else None
        if match:
            return _collect_expression([match.group(1), *lines[index + 1 : end]])
        depth += _balance(line)
    return None


# A line of HCL as tokens: a string literal (escapes included), whitespace, a comment start, or anything else.
_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")|(\s+)|(#|//)|([^"\s#/]+|/)')


def _tokens(line: str) -> Iterator[tuple[str, str]]:
    """(kind, text) pairs up to a comment: kind is "string", "space" or "code"."""
    for m in _TOKEN.finditer(line):
        if m.group(3):
            return
        if m.group(1):
            yield "string", m.group(1)
        elif m.group(2):
            yield "space", m.group(2)
        else:
            yield "code", m.group(4)


def _strip_comment(line: str) -> str:
    return "".join(text for _, text in _tokens(line))


def _balance(line: str) -> int:
    """Open minus closed brackets outside strings and comments."""
    code = "".join(text for kind, text in _tokens(line) if kind == "code")
    return sum(ch in "([{" for ch in code) - sum(ch in ")]}" for ch in code)


def _squash(line: str) -> str:
    """Collapse runs of whitespace outside string literals (alignment padding of `terraform fmt`)."""
    return "".join(" " if kind == "space" else text for kind, text in _tokens(line))


def _collect_expression(lines: list[str]) -> str:
    """Join a possibly multi-line expression into one line, adding the commas HCL lets object types omit."""
    parts: list[str] = []
    depth = 0
    for raw in lines:
        line = _squash(_strip_comment(raw).strip())
        if not line:
            continue
        if parts and not parts[-1].endswith(("(", "[", "{", ",")) and not line.startswith((")", "]", "}")):
            parts[-1] += ","
        parts.append(line)
        depth += _balance(line)
        if depth <= 0:
            break
    text = " ".join(parts)
    text = re.sub(r"([(\[{]) ", r"\1", text)
    return re.sub(r",? ([)\]}])", r"\1", text)


def _render_default(value: Any) -> str:
    if isinstance(value, str):
        inner = _INTERPOLATION.match(value)
        return inner.group(1) if inner else json.dumps(_unquote(value))
    return json.dumps(_clean(value), separators=(", ", ": "))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {_unquote(k): _clean(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


def _text(value: Any) -> str:
    return _unquote(value) if isinstance(value, str) else ""


def _bool(value: Any) -> bool:
    return value is True or value in {"true", "${true}"}


def collect(folder: Path) -> ModuleDoc:
    """Read every .tf file of one folder (not its examples)."""
    variables: list[Variable] = []
    outputs: list[Output] = []
    required_version: str | None = None
    providers: dict[str, str] = {}
    for path in sorted(folder.glob("*.tf")):
        lines = path.read_text(encoding="utf-8").splitlines()
        parsed = load_hcl(path)
        for name, body in _labelled(parsed.get("variable", [])):
            type_text = _type_text(lines, int(body.get("__start_line__", 1)), int(body.get("__end_line__", len(lines))))
            has_default = "default" in body
            variables.append(
                Variable(
                    name=name,
                    description=_text(_first(body, "description")),
                    type=type_text or "any",
                    default=_render_default(_first(body, "default")) if has_default else None,
                    required=not has_default,
                    sensitive=_bool(_first(body, "sensitive")),
                )
            )
        for name, body in _labelled(parsed.get("output", [])):
            outputs.append(
                Output(
                    name=name,
                    description=_text(_first(body, "description")),
                    sensitive=_bool(_first(body, "sensitive")),
                )
            )
        for terraform in parsed.get("terraform", []):
            if "required_version" in terraform:
                required_version = _text(_first(terraform, "required_version"))
            for block in terraform.get("required_providers", []):
                for pname in block:
                    spec = _first(block, pname)
                    if isinstance(spec, dict) and not pname.startswith("__"):
                        providers[pname] = _text(_first(spec, "version"))
    variables.sort(key=lambda v: (not v.required, v.name))
    outputs.sort(key=lambda o: o.name)
    return ModuleDoc(required_version, providers, variables, outputs)


def _cell(text: str) -> str:
    """Prose for a table cell: one line, pipes escaped, angle brackets shown rather than read as HTML."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def render(doc: ModuleDoc) -> str:
    """The generated section, markers included."""
    out = [BEGIN, "## Requirements", "", "| Name | Version |", "|------|---------|"]
    if doc.required_version:
        out.append(f"| terraform | `{doc.required_version}` |")
    out += [f"| {name} | `{version}` |" for name, version in sorted(doc.providers.items())]
    out += ["", "## Inputs", ""]
    if doc.variables:
        out += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for v in doc.variables:
            default = "n/a" if v.default is None else _code(v.default)
            description = _cell(v.description) + (" (sensitive)" if v.sensitive else "")
            out.append(
                f'| <a name="input_{v.name}"></a> [{v.name}](#input_{v.name}) | {description} | {_code(v.type)} '
                f"| {default} | {'yes' if v.required else 'no'} |"
            )
    else:
        out.append("No inputs.")
    out += ["", "## Outputs", ""]
    if doc.outputs:
        out += ["| Name | Description |", "|------|-------------|"]
        for o in doc.outputs:
            description = _cell(o.description) + (" (sensitive)" if o.sensitive else "")
            out.append(f'| <a name="output_{o.name}"></a> [{o.name}](#output_{o.name}) | {description} |')
    else:
        out.append("No outputs.")
    out.append(END)
    return "\n".join(out)


def targets(root: Path) -> list[Path]:
    """Every module folder, and every stack folder whose README opted in with the markers."""
    found: list[Path] = []
    for pattern in MODULE_GLOBS:
        found += [d for d in sorted(root.glob(pattern)) if d.is_dir() and any(d.glob("*.tf"))]
    for pattern in STACK_GLOBS:
        for d in sorted(root.glob(pattern)):
            readme = d / "README.md"
            if d.is_dir() and readme.is_file() and BEGIN in readme.read_text(encoding="utf-8"):
                found.append(d)
    return found


def updated_readme(folder: Path) -> tuple[str, str]:
    """(current text, text with a freshly generated section); raises ValueError when the markers are missing."""
    readme = folder / "README.md"
    if not readme.is_file():
        raise ValueError(f"{readme}: missing (a module needs a README with {BEGIN} ... {END})")
    current = readme.read_text(encoding="utf-8")
    start, stop = current.find(BEGIN), current.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"{readme}: no {BEGIN} ... {END} section")
    fresh = current[:start] + render(collect(folder)) + current[stop + len(END) :]
    return current, fresh


def _relative(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when a README is stale")
    parser.add_argument("--root", type=Path, default=REPO, help="repository root (default: this checkout)")
    parser.add_argument("folders", nargs="*", type=Path, help="module/stack folders to handle (default: all)")
    args = parser.parse_args(argv)

    root: Path = args.root.resolve()
    folders = [(root / f).resolve() for f in args.folders] or targets(root)
    problems: list[str] = []
    for folder in folders:
        try:
            current, fresh = updated_readme(folder)
        except ValueError as err:
            problems.append(str(err))
            continue
        if current == fresh:
            continue
        readme = folder / "README.md"
        if args.check:
            problems.append(f"{_relative(readme, root)}: inputs/outputs section is stale")
        else:
            readme.write_text(fresh, encoding="utf-8")
            print(f"updated {_relative(readme, root)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("run: python scripts/gen_module_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
