"""The check registry and the shared runner (popcornctl.diagnose.registry, .runner), target-independent."""

from __future__ import annotations

import pkgutil

import pytest
from diagfacts import ecs_facts, rds_facts, running_task, service, subject

import popcornctl.diagnose as diagnose_pkg
from popcornctl.diagnose.ecs import service_report
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.findings import Finding, Status, TargetReport
from popcornctl.diagnose.registry import TARGETS, CheckSpec, RegistryError, all_checks, check, checks_for
from popcornctl.diagnose.runner import UNREAD, _run_check, evaluate


def test_every_check_is_registered_once_with_its_metadata() -> None:
    specs = all_checks()
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    for spec in specs:
        assert spec.kind in TARGETS[spec.target], spec.id
        assert spec.fn.__module__.startswith(f"popcornctl.diagnose.{spec.target}.checks."), spec.id
        assert spec.title and spec.looks_at and spec.findings, spec.id
        assert spec.ok or spec.warn or spec.fail, spec.id


def test_every_checks_module_is_discovered() -> None:
    """Adding a module under <target>/checks is all it takes: each one contributes registered checks."""
    for target in TARGETS:
        package = __import__(f"popcornctl.diagnose.{target}.checks", fromlist=["x"])
        modules = {f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)}
        registered = {s.fn.__module__ for s in all_checks() if s.target == target}
        assert modules == registered, target


def test_checks_run_in_their_registered_order() -> None:
    facts = ecs_facts([service()], [running_task(n=1), running_task(n=2)])
    report = evaluate(service_report(subject(facts)), subject(facts))
    order = {finding: spec.order for spec in checks_for("ecs-service") for finding in spec.findings}
    ranks = [order[f.check] for f in report.findings]
    assert ranks == sorted(ranks)
    assert set(report.timings) == {s.id for s in checks_for("ecs-service")}  # each check timed


def test_a_check_outside_a_checks_package_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"must live in popcornctl\.diagnose\.ecs\.checks"):
        check("ecs.misplaced", kind="ecs-service", order=1, title="t", looks_at="l", findings=("x",), ok="ok")(
            lambda s: []
        )


def test_a_check_for_an_unknown_subject_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"is not a subject of diagnose 'rds'"):
        check("rds.odd", kind="ecs-service", order=1, title="t", looks_at="l", findings=("x",))(lambda s: [])


def _spec(fn: object, findings: tuple[str, ...] = ("demo",)) -> CheckSpec:
    return CheckSpec("ecs.demo", "ecs-service", 1, "demo", "nothing", findings, (), "", "", "", fn)  # type: ignore[arg-type]


def test_a_failing_check_becomes_a_warning_and_the_run_goes_on() -> None:
    def broken(_: object) -> list[Finding]:
        raise KeyError("containerDefinitions")

    (finding,) = _run_check(_spec(broken), subject(ecs_facts([service()])))
    assert (finding.check, finding.status) == ("demo", Status.WARN)
    assert finding.title == "could not check: KeyError: 'containerDefinitions'"


def test_a_check_may_emit_only_the_findings_it_declares() -> None:
    (finding,) = _run_check(_spec(lambda _: [Finding("other", Status.OK, "x")]), subject(ecs_facts([service()])))
    assert finding.status is Status.WARN and "undeclared finding id(s) other" in finding.title


def test_an_unreadable_fact_becomes_one_finding_under_its_first_reader() -> None:
    gap = Gap("db_groups", "read the security groups", "ec2:DescribeSecurityGroups", "AccessDenied: no")
    report = evaluate(TargetReport("rds-instance", "db"), rds_facts(gaps={"db_groups": gap}))
    unread = [f for f in report.findings if f.title.startswith("could not read the security groups")]
    assert len(unread) == 1
    assert unread[0].check == "rds.exposure"
    assert unread[0].evidence == ["ec2:DescribeSecurityGroups failed: AccessDenied: no",
                                  "not checked: rds.exposure, rds.security-groups, rds.ecs-access"]
    assert not {"rds.security-groups", "rds.ecs-access"} & {f.check for f in report.findings}


def test_a_gap_no_check_reads_is_still_reported() -> None:
    gap = Gap("something", "read something", "svc:Describe", "Throttling: slow down")
    report = evaluate(TargetReport("rds-instance", "db"), rds_facts(gaps={"something": gap}))
    (unread,) = [f for f in report.findings if f.check == UNREAD]
    assert unread.title == "could not read something: Throttling: slow down"


def test_the_package_documents_itself() -> None:
    """(That importing the room and its registry loads no boto3 is checked in tests/cli/test_imports.py.)"""
    assert diagnose_pkg.__doc__
