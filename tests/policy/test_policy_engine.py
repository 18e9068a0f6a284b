"""The engine and the authoring API on small in-memory inputs (no Terraform): discovery, checks, semantics."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest

from popcornctl.errors import PopcornError
from popcornctl.policy import PlanInput, evaluate_inputs, evaluate_plan, prepare
from popcornctl.policy.addresses import config_address, parse_address
from popcornctl.policy.api import UNKNOWN, Change, Context, same_instances, walk
from popcornctl.policy.loader import load_policies
from popcornctl.policy.planjson import plan_environment
from tfhelpers import REPO


def change(
    address: str,
    rtype: str,
    after: dict[str, Any] | None,
    unknown: dict[str, Any] | None = None,
    actions: tuple[str, ...] = ("create",),
    module: str | None = None,
) -> dict[str, Any]:
    rc: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": address.rsplit(".", maxsplit=1)[-1],
        "change": {"actions": list(actions), "before": None, "after": after, "after_unknown": unknown or {}},
    }
    if module:
        rc["module_address"] = module
    return rc


def plan(*changes: dict[str, Any], env: str | None = "prod") -> dict[str, Any]:
    doc: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.15.5", "resource_changes": list(changes)}
    if env:
        doc["variables"] = {"environment": {"value": env}}
    return doc


POLICY_SOURCE = """
from popcornctl.policy.api import UNKNOWN, fail, policy, unknown

@policy(id="POP-TEST-001", title="Queues are FIFO", severity="{severity}", resource_types=("aws_sqs_queue",),
        rationale="ordering", remediation="set fifo_queue = true")
def fifo(change, context):
    value = change.get("fifo_queue")
    if value is UNKNOWN:
        yield unknown("fifo_queue unknown")
    elif value is not True:
        yield fail("not FIFO", attribute="fifo_queue")
"""


def policies_dir(tmp_path: Path, severity: str = "medium", extra: str = "") -> Path:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "pop_test.py").write_text(POLICY_SOURCE.replace("{severity}", severity) + extra)
    (folder / "_helpers.py").write_text("raise RuntimeError('files starting with _ are not policies')\n")
    return folder


def test_a_new_policy_file_is_picked_up_without_registration(tmp_path: Path) -> None:
    folder = policies_dir(tmp_path)
    loaded = load_policies(folder)
    assert [p.id for p in loaded] == ["POP-TEST-001"]
    report = evaluate_plan(
        plan(
            change("aws_sqs_queue.a", "aws_sqs_queue", {"fifo_queue": False}),
            change("aws_sqs_queue.b", "aws_sqs_queue", {"fifo_queue": None}, {"fifo_queue": True}),
            change("aws_sqs_queue.c", "aws_sqs_queue", {"fifo_queue": True}),
        ),
        root=tmp_path,
        repo=REPO,
        env=None,
        run_checkov=False,
        policies_dir=folder,
        waivers_path=None,
    )
    statuses = {(r.address, r.status) for r in report.results}
    assert statuses == {("aws_sqs_queue.a", "fail"), ("aws_sqs_queue.b", "unknown")}
    assert ("POP-TEST-001", "aws_sqs_queue.c", "pass") in report.checks
    assert report.blocking("medium") and not report.blocking("high")


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        (POLICY_SOURCE.replace("{severity}", "urgent"), "severity 'urgent'"),
        (POLICY_SOURCE.replace("{severity}", "low").replace("POP-TEST-001", "RDS-1"), "id 'RDS-1'"),
        ("import nonexistent_module_xyz\n", "pop_bad.py:1 failed to import: ModuleNotFoundError"),
        (
            POLICY_SOURCE.replace("{severity}", "low")
            + POLICY_SOURCE.replace("{severity}", "low").replace("def fifo", "def fifo2"),
            "",
        ),
    ],
)
def test_broken_policy_modules_are_input_errors(tmp_path: Path, source: str, needle: str) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "pop_bad.py").write_text(source)
    if not needle:  # two objects with one id in one module: still one id twice
        (folder / "pop_other.py").write_text(POLICY_SOURCE.replace("{severity}", "low"))
        needle = "defined twice"
    with pytest.raises(PopcornError) as exc:
        load_policies(folder)
    assert needle in exc.value.line()


def test_a_policy_that_raises_blocks_the_gate(tmp_path: Path) -> None:
    folder = policies_dir(
        tmp_path,
        extra=textwrap.dedent("""
        @policy(id="POP-TEST-002", title="Careless", severity="low", resource_types=("aws_sqs_queue",),
                rationale="r", remediation="m")
        def careless(change, context):
            if change.get("fifo_queue"):   # UNKNOWN refuses to be a boolean
                yield fail("x")
    """),
    )
    report = evaluate_plan(
        plan(change("aws_sqs_queue.b", "aws_sqs_queue", {"fifo_queue": None}, {"fifo_queue": True})),
        root=tmp_path,
        repo=REPO,
        env=None,
        run_checkov=False,
        policies_dir=folder,
    )
    errors = [r for r in report.results if r.status == "error"]
    assert [e.id for e in errors] == ["POP-TEST-002"]
    assert "no truth value" in errors[0].message
    assert report.blocking("critical") == errors


def test_unknown_values_and_paths() -> None:
    after = {"ingress": [{"cidr_blocks": [None, "10.0.0.0/8"], "from_port": 22}], "tags": {"a": "b"}}
    marks = {"ingress": [{"cidr_blocks": [True, False]}], "arn": True}
    assert walk(after, marks, "ingress.0.cidr_blocks") == [UNKNOWN, "10.0.0.0/8"]
    assert walk(after, marks, "ingress.0.from_port") == 22
    assert walk(after, marks, "arn") is UNKNOWN
    assert walk(after, marks, "missing.deeper") is None
    assert walk(after, marks, "ingress.from_port") == 22  # a key on a block list reads its first block
    with pytest.raises(TypeError, match="no truth value"):
        bool(UNKNOWN)
    c = Change(change('module.a["x"].module.b.aws_s3_bucket.c[0]', "aws_s3_bucket", {"bucket": "n"}))
    assert c.config_address == "module.a.module.b.aws_s3_bucket.c"
    assert c.is_create and c.exists_after and not c.destroys
    r = Change(change("aws_ebs_volume.v", "aws_ebs_volume", {}, actions=("create", "delete")))
    assert r.is_replace and r.destroys


def test_addresses() -> None:
    parsed = parse_address('module.svc["a.b[1]"].module.db.data.aws_iam_policy_document.x')
    assert parsed is not None and parsed.module_path == ("svc", "db") and parsed.mode == "data"
    assert config_address('module.svc["a.b[1]"].aws_x.y["k"]') == "module.svc.aws_x.y"
    assert parse_address("envs/dev:aws_x.y") is None
    assert same_instances('module.s["api"].aws_x.a', 'module.s["api"].module.b.aws_y.b')
    assert not same_instances('module.s["api"].aws_x.a', 'module.s["worker"].module.b.aws_y.b')
    assert same_instances("module.a.aws_x.a", "module.b.aws_y.b")


def test_environment_detection_and_unknown_environment(tmp_path: Path) -> None:
    assert plan_environment({"variables": {"env": {"value": "Production"}}}) == ("prod", "plan variable env")
    tagged = plan(change("aws_sqs_queue.a", "aws_sqs_queue", {"tags_all": {"Environment": "dev"}}), env=None)
    assert plan_environment(tagged) == ("dev", "Environment tag of every tagged resource")
    # nothing tells the environment: environment-scoped policies say so once, and do not fail
    report = evaluate_plan(
        plan(change("aws_db_instance.db", "aws_db_instance", {"multi_az": False, "storage_encrypted": True}), env=None),
        root=tmp_path,
        repo=REPO,
        env=None,
        run_checkov=False,
    )
    unknown = {r.id: r for r in report.unknowns}
    assert "POP-RDS-003" in unknown and "cannot be told" in unknown["POP-RDS-003"].message
    assert {p.id: p.status for p in report.policies}["POP-RDS-003"] == "environment-unknown"
    assert "POP-RDS-003" not in report.ids("fail")
    # the stack's environment in popcorn.toml is the fallback
    setup = prepare(REPO)
    stacked = evaluate_inputs(
        [
            PlanInput(
                "x",
                plan(change("aws_db_instance.db", "aws_db_instance", {"multi_az": False}), env=None),
                stack="envs/prod",
            )
        ],
        setup,
        env=None,
        run_checkov=False,
    )
    assert stacked.inputs[0].environment == "prod" and "POP-RDS-003" in stacked.ids("fail")


def test_referrers_follow_module_variables_and_outputs() -> None:
    from popcornctl.policy.refs import PlanReferences

    configuration = {
        "root_module": {
            "module_calls": {
                "net": {
                    "source": "./net",
                    "module": {
                        "resources": [
                            {
                                "address": "aws_vpc.this",
                                "mode": "managed",
                                "type": "aws_vpc",
                                "name": "this",
                                "expressions": {},
                            }
                        ],
                        "outputs": {"vpc_id": {"expression": {"references": ["aws_vpc.this.id", "aws_vpc.this"]}}},
                    },
                },
                "logs": {
                    "source": "./logs",
                    "expressions": {"vpc": {"references": ["module.net.vpc_id", "module.net"]}},
                    "module": {
                        "resources": [
                            {
                                "address": "aws_flow_log.this",
                                "mode": "managed",
                                "type": "aws_flow_log",
                                "name": "this",
                                "expressions": {"vpc_id": {"references": ["var.vpc"]}},
                            }
                        ],
                        "variables": {"vpc": {}},
                    },
                },
            },
        }
    }
    vpc = Change(change("module.net.aws_vpc.this", "aws_vpc", {}, {"id": True}))
    log = Change(change("module.logs.aws_flow_log.this", "aws_flow_log", {"traffic_type": "ALL"}, {"vpc_id": True}))
    context = Context(changes=[vpc, log], index=PlanReferences(configuration))
    assert context.references(log, "vpc_id") == {"module.net.aws_vpc.this"}
    assert context.referrers(vpc, "aws_flow_log", "vpc_id") == [log]
    assert context.configured(log, "vpc_id") is True and context.configured(log, "tags") is False


def test_waiver_file_errors(tmp_path: Path) -> None:
    from popcornctl.policy.waivers import load_waivers

    cases = {
        "x = 1\n": "unexpected table 'x'",
        '[[waiver]]\nid = "POP-RDS-001"\naddress = "*"\nreason = "r"\nexpires = 2026-01-01\n': "has no approved_by",
        '[[waiver]]\nid = "POP-RDS-001"\naddress = "*"\nreason = "r"\nexpires = "soon"\napproved_by = "a"\n': "is not a date",
        '[[waiver]]\nid = "POP-RDS-001"\naddress = "*"\nreason = "r"\nexpires = 2026-01-01\napproved_by = "a"\nby = 1\n': "unknown key 'by'",
        "[[waiver]\n": "not valid TOML",
    }
    for number, (text, needle) in enumerate(cases.items()):
        path = tmp_path / f"w{number}.toml"
        path.write_text(text)
        with pytest.raises(PopcornError) as exc:
            load_waivers(path)
        assert needle in exc.value.line(), (text, exc.value.line())
    assert load_waivers(tmp_path / "absent.toml") == []
    assert (
        dt.date(2026, 1, 1)
        == load_waivers(
            _write(
                tmp_path,
                '[[waiver]]\nid = "A"\naddress = "*"\nreason = "r"\nexpires = "2026-01-01"\napproved_by = "a"\n',
            )
        )[0].expires
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ok.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("folder", ["bootstrap", "global", "envs", "modules"])
def test_no_policy_raises_on_the_repository_configuration(folder: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The static scan of the real tree: every policy copes with whatever the HCL holds (fail closed otherwise)."""
    import json

    from clirunner import run_cli

    if not any((REPO / folder).rglob("*.tf")):
        pytest.skip(f"{folder}/ holds no Terraform yet")
    _, out, _ = run_cli(["--repo", str(REPO), "policy-check", str(REPO / folder), "--no-checkov", "--output", "json"],
                        capsys)
    report = json.loads(out)
    assert [f for f in report["findings"] if f["status"] == "error"] == []


def test_static_scan_treats_dynamic_blocks_as_unknown(tmp_path: Path) -> None:
    from popcornctl.policy.static import static_plan

    (tmp_path / "main.tf").write_text(
        'resource "aws_lb" "this" {\n'
        '  name = "x"\n'
        '  dynamic "access_logs" {\n'
        "    for_each = var.logs ? [1] : []\n"
        "    content {\n"
        '      bucket  = "b"\n'
        "      enabled = true\n"
        "    }\n"
        "  }\n"
        '  ingress_cidrs = ["0.0.0.0/0"]\n'
        "}\n"
    )
    rc = static_plan(tmp_path, tmp_path)["resource_changes"][0]
    assert rc["change"]["after_unknown"]["access_logs"] is True
    assert rc["change"]["after"]["ingress_cidrs"] == ["0.0.0.0/0"]  # a list attribute stays a list
    assert rc["change"]["after"]["name"] == "x"
