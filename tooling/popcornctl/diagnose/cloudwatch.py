"""CloudWatch alarms in ALARM: one listing per run, shared by every subject of a target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Alarm:
    """A metric or composite alarm in ALARM."""

    name: str
    reason: str
    dimensions: tuple[tuple[str, str], ...] = ()  # the alarm's and its metric queries' dimensions

    def dimension(self, name: str) -> str | None:
        """The value of dimension ``name`` (the last one when repeated, as metric queries refine the alarm's)."""
        return next((v for k, v in reversed(self.dimensions) if k == name), None)

    @property
    def line(self) -> str:
        """'<name>: <state reason>', at most 300 characters (evidence)."""
        return f"{self.name}: {self.reason}"[:300]


def _alarm(raw: dict[str, Any]) -> Alarm:
    dims = [(str(d.get("Name")), str(d.get("Value"))) for d in raw.get("Dimensions", [])]
    for metric in raw.get("Metrics", []) or []:
        for d in ((metric.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions", []):
            dims.append((str(d.get("Name")), str(d.get("Value"))))
    return Alarm(name=str(raw.get("AlarmName", "")), reason=str(raw.get("StateReason", "")), dimensions=tuple(dims))


def fetch_alarms(cloudwatch: Any, *, composite: bool) -> tuple[Alarm, ...]:
    """Every alarm in ALARM (metric alarms, and composite ones when ``composite``), all pages."""
    kwargs: dict[str, Any] = {"StateValue": "ALARM"}
    if composite:
        kwargs["AlarmTypes"] = ["MetricAlarm", "CompositeAlarm"]
    alarms: list[Alarm] = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(**kwargs):
        alarms.extend(_alarm(a) for a in page.get("MetricAlarms", []))
        alarms.extend(_alarm(a) for a in page.get("CompositeAlarms", []))
    return tuple(alarms)
