"""CloudWatch for the fetch steps: alarms in ALARM, alarms as thresholds, and batched metric data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from popcornctl.diagnose.window import Window


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


# -- thresholds: the alarms that exist, whatever their state -------------------------------------------------
@dataclass(frozen=True)
class MetricAlarm:
    """A metric alarm (any state): what it watches and where it fires. Its threshold is the line diagnose uses."""

    name: str
    namespace: str
    metric: str
    threshold: float
    comparison: str  # GreaterThanThreshold, LessThanThreshold, ...
    statistic: str  # Average, Sum, Maximum, p99, ...
    period: int
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()

    def dimension(self, name: str) -> str | None:
        """The value of dimension ``name``."""
        return next((v for k, v in self.dimensions if k == name), None)

    def watches(self, namespace: str, metric: str, dims: Mapping[str, str]) -> bool:
        """True when the alarm is on ``namespace``/``metric`` with every dimension in ``dims``."""
        return (
            self.namespace == namespace
            and self.metric == metric
            and all(self.dimension(k) == v for k, v in dims.items())
        )


@dataclass(frozen=True)
class Threshold:
    """The line a metric is judged against: an alarm's threshold, or the monitoring module's default."""

    value: float
    alarm: MetricAlarm | None = None  # None: no alarm watches the metric; ``value`` is the module default
    period: int = 60  # seconds the value applies to (a sum's threshold is per period)

    @property
    def source(self) -> str:
        """Where the value comes from, for evidence."""
        if self.alarm is None:
            return "the monitoring module's default (no alarm watches this metric)"
        return f"alarm {self.alarm.name} ({self.alarm.state})"


def threshold(
    alarms: tuple[MetricAlarm, ...],
    namespace: str,
    metric: str,
    default: float,
    dims: Mapping[str, str],
    period: int = 60,
) -> Threshold:
    """The threshold of the first alarm on the metric with these dimensions, else ``default`` (per ``period``)."""
    found = next((a for a in alarms if a.watches(namespace, metric, dims)), None)
    if found is None:
        return Threshold(default, None, period)
    return Threshold(found.threshold, found, found.period)


def _metric_alarm(raw: dict[str, Any]) -> MetricAlarm:
    return MetricAlarm(
        name=str(raw.get("AlarmName", "")),
        namespace=str(raw.get("Namespace", "")),
        metric=str(raw.get("MetricName", "")),
        threshold=float(raw.get("Threshold") or 0.0),
        comparison=str(raw.get("ComparisonOperator", "")),
        statistic=str(raw.get("Statistic") or raw.get("ExtendedStatistic") or ""),
        period=int(raw.get("Period") or 60),
        state=str(raw.get("StateValue", "")),
        reason=str(raw.get("StateReason", "")),
        dimensions=tuple((str(d.get("Name")), str(d.get("Value"))) for d in raw.get("Dimensions", [])),
    )


def fetch_metric_alarms(cloudwatch: Any, namespaces: tuple[str, ...] | None) -> tuple[MetricAlarm, ...]:
    """Every metric alarm (any state) on one of ``namespaces`` (None: any): one paginated DescribeAlarms listing."""
    alarms: list[MetricAlarm] = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        alarms.extend(
            _metric_alarm(a)
            for a in page.get("MetricAlarms", [])
            if namespaces is None or a.get("Namespace") in namespaces
        )
    return tuple(alarms)


# -- metric data: every series of a run in as few GetMetricData calls as the API allows ------------------------
METRIC_DATA_BATCH = 500  # GetMetricData: at most 500 queries per call


@dataclass(frozen=True)
class Query:
    """One series to read: ``key`` names it in the answer."""

    key: str
    namespace: str
    metric: str
    stat: str  # Average, Sum, Maximum, Minimum, p99
    dimensions: tuple[tuple[str, str], ...]


def period_for(window: Window) -> int:
    """A period (a multiple of 60 s) giving at most about 100 datapoints over the window."""
    return max(60, math.ceil(window.since.total_seconds() / 100 / 60) * 60)


def fetch_metrics(cloudwatch: Any, queries: list[Query], window: Window) -> dict[str, tuple[float, ...]]:
    """The datapoints of every query over the window (oldest first), in batches of 500 queries per call."""
    period = period_for(window)
    values: dict[str, list[tuple[datetime, float]]] = {q.key: [] for q in queries}
    named = [(f"q{i}", q) for i, q in enumerate(queries)]
    keys = {qid: q.key for qid, q in named}
    for start in range(0, len(named), METRIC_DATA_BATCH):
        kwargs: dict[str, Any] = {
            "MetricDataQueries": [_query(qid, q, period) for qid, q in named[start : start + METRIC_DATA_BATCH]],
            "StartTime": window.start,
            "EndTime": window.end + timedelta(minutes=5),
        }
        while True:
            response = cloudwatch.get_metric_data(**kwargs)
            for result in response.get("MetricDataResults", []):
                stamps, points = result.get("Timestamps", []), result.get("Values", [])
                values[keys[str(result["Id"])]].extend(zip(stamps, (float(v) for v in points), strict=False))
            token = response.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
    return {key: tuple(v for _, v in sorted(points, key=lambda p: p[0])) for key, points in values.items()}


def _query(qid: str, query: Query, period: int) -> dict[str, Any]:
    dims = [{"Name": k, "Value": v} for k, v in query.dimensions]
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": query.namespace, "MetricName": query.metric, "Dimensions": dims},
            "Period": period,
            "Stat": query.stat,
        },
        "ReturnData": True,
    }
