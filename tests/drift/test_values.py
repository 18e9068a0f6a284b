"""How values are compared and shown: emptiness and JSON layout are not drift; secrets never reach the output."""

from __future__ import annotations

import json

from popcornctl.drift import values
from popcornctl.drift.analysis import analyse, config_address
from popcornctl.drift.model import AttributeChange


def test_emptiness_and_document_layout_are_the_same_value() -> None:
    assert values.same(None, {}) and values.same([], None) and values.same("", None)
    assert values.same('{"b": 1, "a": [1, 2]}', json.dumps({"a": [1, 2], "b": 1}, indent=4))
    assert values.same(1, 1.0)
    assert not values.same("a", "b") and not values.same([1, 2], [2, 1]) and not values.same(0, None)


def test_a_blocks_unset_number_or_bool_read_back_as_zero_is_the_same_value() -> None:
    """The legacy plugin SDK reads an unset number or bool of a nested block back as 0 or false (an alarm's
    metric_query.period: null after apply, 0 after a refresh); elsewhere, and for other values, a change stays one."""
    query = {"id": "missing", "expression": "desired - running", "period": None, "return_data": True,
             "metric": [{"metric_name": "x", "period": 60, "dimensions": {"Service": "api"}}]}
    refreshed = {**query, "period": 0}
    assert list(values.differences({"metric_query": [query, {"id": "desired", "return_data": None}]},
                                   {"metric_query": [refreshed, {"id": "desired", "return_data": False}]})) == []
    assert list(values.differences({"network": [{"public": None}]}, {"network": [{"public": False}]})) == []
    changed = {"metric_query": [{**query, "metric": [{**query["metric"][0], "period": 0}]}]}  # 60 -> 0
    assert [d.path for d in values.differences({"metric_query": [query]}, changed)] == ["metric_query[0].metric[0].period"]
    assert [d.path for d in values.differences({"network": [{"public": True}]}, {"network": [{"public": False}]})] \
        == ["network[0].public"]
    assert [d.path for d in values.differences({"desired_count": None}, {"desired_count": 0})] == ["desired_count"]
    assert not values.same(None, 0) and not values.same({"tags": {"n": None}}, {"tags": {"n": 0}})


def test_differences_follow_maps_single_blocks_and_documents() -> None:
    before = {"tags": {"Owner": "devops", "Name": "x"}, "network": [{"public": False, "subnets": ["a"]}],
              "policy": json.dumps({"Statement": [{"Effect": "Allow"}]}), "rules": [{"p": 1}, {"p": 2}]}
    after = {"tags": {"Owner": "alice", "Name": "x"}, "network": [{"public": True, "subnets": ["a"]}],
             "policy": json.dumps({"Statement": [{"Effect": "Deny"}]}), "rules": [{"p": 1}, {"p": 3}]}
    found = {d.path: (d.before, d.after) for d in values.differences(before, after)}
    assert found == {
        "tags.Owner": ("devops", "alice"),
        "network[0].public": (False, True),
        "policy.Statement[0].Effect": ("Allow", "Deny"),
        "rules": ([{"p": 1}, {"p": 2}], [{"p": 1}, {"p": 3}]),
    }
    assert values.lookup(after, "network[0].public") is True
    assert values.lookup(after, "policy.Statement") == [{"Effect": "Deny"}]


def test_a_list_difference_is_the_items_added_and_removed() -> None:
    assert values.short_diff([{"p": 1}, {"p": 2}], [{"p": 1}, {"p": 3}]) == ["- {p=2}", "+ {p=3}"]
    assert values.short_diff(1, 3) == ["1 → 3"]
    long = values.short_diff("x" * 500, "y")[0]
    assert len(long) < 2 * values.MAX_TEXT


def test_masks_mark_a_path_and_its_children() -> None:
    mask = {"password": True, "nested": [{"secret": True}], "plain": False}
    assert values.marked(mask, "password") and values.marked(mask, "nested[0].secret")
    assert values.marked(mask, "nested")  # a parent holding a secret is sensitive as a whole
    assert not values.marked(mask, "plain") and not values.marked(mask, "other")


def test_sensitive_values_never_reach_the_report() -> None:
    change = AttributeChange(path="master_password", before="hunter2", after="hunter3", sensitive=True)
    text = json.dumps(change.as_dict()) + " ".join(change.lines())
    assert "hunter" not in text and values.SENSITIVE_TEXT in text


def test_a_sensitive_drift_in_a_plan_is_marked() -> None:
    """Terraform's own before_sensitive/after_sensitive masks decide (the shape of `terraform show -json`)."""
    entry = {"address": "aws_db_instance.this", "mode": "managed", "type": "aws_db_instance",
             "change": {"actions": ["update"], "before": {"password": "a", "port": 5432},
                        "after": {"password": "b", "port": 5433},
                        "before_sensitive": {"password": True}, "after_sensitive": {"password": True}}}
    plan = {"resource_drift": [entry], "resource_changes": [{**entry, "change": {
        **entry["change"], "before": entry["change"]["after"], "after": entry["change"]["before"]}}]}
    (finding,) = analyse(plan, "envs/dev")
    shown = {a.path: a for a in finding.attributes}
    assert shown["password"].sensitive and not shown["port"].sensitive
    assert "\"a\"" not in json.dumps(finding.as_dict()) and "\"b\"" not in json.dumps(finding.as_dict())


def test_config_address_drops_instance_keys() -> None:
    assert config_address('module.ecs.aws_ecs_service.this["api"]') == "module.ecs.aws_ecs_service.this"
    assert config_address('module.a["x]y"].module.b[0].aws_c.d["k\\"]"]') == "module.a.module.b.aws_c.d"
