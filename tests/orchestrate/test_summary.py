"""Change summaries, deletion protection and never-applied plans."""

from __future__ import annotations

from orch_support import CREATE, plan_doc

from popcornctl.orchestrate.summary import deletion_protected, never_applied, summarize


def test_summary_counts_like_terraform_and_highlights_stateful_losses() -> None:
    plan = plan_doc(
        ("aws_s3_bucket.a", "aws_s3_bucket", ["create"]),
        ("aws_iam_role.r", "aws_iam_role", ["update"]),
        ("module.rds.aws_db_instance.this", "aws_db_instance", ["delete", "create"]),
        ("aws_ebs_volume.kafka[0]", "aws_ebs_volume", ["delete"]),
        ("aws_sns_topic.t", "aws_sns_topic", ["create", "delete"]),
        ("aws_vpc.v", "aws_vpc", ["no-op"]),
        ("data.aws_region.r", "aws_region", ["read"]),
    )
    plan["output_changes"] = {"x": {"actions": ["update"]}, "y": {"actions": ["no-op"]}}
    s = summarize(plan)
    assert (s.adds, s.changes, s.destroys) == (3, 1, 3)
    assert s.headline() == "3 to add, 1 to change, 3 to destroy"
    assert s.replacements == ["module.rds.aws_db_instance.this", "aws_sns_topic.t"]
    assert s.deletions == ["aws_ebs_volume.kafka[0]"]
    assert s.stateful_losses == ["module.rds.aws_db_instance.this", "aws_ebs_volume.kafka[0]"]
    assert s.outputs_changed == ["x"]
    lines = [text for _, text in s.lines()]
    assert lines[0].strip().startswith("-") and "stateful" in lines[0], "riskiest first"
    only_outputs = plan_doc(("aws_vpc.v", "aws_vpc", ["no-op"]))
    only_outputs["output_changes"] = {"vpc_id": {"actions": ["create"]}}
    assert summarize(only_outputs).has_changes, "new outputs must be applied: dependents read them"
    assert not summarize(plan_doc(("aws_vpc.v", "aws_vpc", ["no-op"]))).has_changes


def test_deletion_protection_and_never_applied() -> None:
    plan = plan_doc(("aws_db_instance.db", "aws_db_instance", ["delete"]), before={"deletion_protection": True})
    assert deletion_protected(plan) == [("aws_db_instance.db", "deletion_protection", "deletion_protection = false")]
    off = plan_doc(("aws_db_instance.db", "aws_db_instance", ["delete"]), before={"deletion_protection": False})
    assert deletion_protected(off) == []
    assert never_applied(plan_doc(prior=False)) and not never_applied(plan_doc())


def test_create_plan_is_counted() -> None:
    from popcornctl.orchestrate.summary import summarize

    assert summarize(CREATE).counts() == "+1 ~0 -0"
