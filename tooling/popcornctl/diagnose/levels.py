"""A metric series judged against its alarm's threshold (or the monitoring module's default). Pure.

The verdict follows what the alarm would say, without waiting for its M-of-N evaluation:

- FAIL: the alarm is in ALARM, or the latest datapoint is past the threshold (it is happening now);
- WARN: a datapoint in the window was past it (it happened), or the peak came within 90 % of it;
- OK: the series stayed clear of it.

Sums (Evictions, 5xx counts, packet drops) are compared per alarm period: when the series' period differs, the
threshold is scaled to it (a threshold of 100 per 60 s is 500 per 300 s datapoint).
"""

from __future__ import annotations

from dataclasses import dataclass

from popcornctl.diagnose.cloudwatch import Threshold
from popcornctl.diagnose.findings import Status

NEAR = 0.9  # a peak this close to the threshold is a warning


@dataclass(frozen=True)
class Level:
    """One series against one threshold."""

    label: str  # "engine CPU", "evictions"
    values: tuple[float, ...]
    threshold: Threshold
    period: int  # seconds per datapoint of ``values``
    unit: str = ""  # "%", " s", ""
    summed: bool = False  # a count per period (Sum): its threshold scales with the period
    lower_is_worse: bool = False  # free space, free memory: the alarm fires below the threshold

    @property
    def line(self) -> float:
        """The threshold per datapoint of the series (sums scaled to its period)."""
        value, per = self.threshold.value, self.threshold.period
        if self.summed and per and per != self.period:
            return value * self.period / per
        return value

    def _past(self, value: float) -> bool:
        return value < self.line if self.lower_is_worse else value > self.line

    @property
    def peak(self) -> float | None:
        """The worst datapoint."""
        if not self.values:
            return None
        return min(self.values) if self.lower_is_worse else max(self.values)

    @property
    def status(self) -> Status:
        """FAIL now, WARN earlier or close, OK clear (OK without datapoints: see ``has_data``)."""
        alarm = self.threshold.alarm
        if alarm is not None and alarm.state == "ALARM":
            return Status.FAIL
        if not self.values:
            return Status.OK
        if self._past(self.values[-1]):
            return Status.FAIL  # the latest datapoint: it is happening now
        peak = self.peak
        assert peak is not None
        if self._past(peak):
            return Status.WARN
        near = peak < self.line / NEAR if self.lower_is_worse else peak >= NEAR * self.line
        return Status.WARN if near and self.line > 0 else Status.OK

    @property
    def has_data(self) -> bool:
        """True when the window holds datapoints."""
        return bool(self.values)

    def describe(self, subject: str = "") -> str:
        """'<subject>: engine CPU peak 93%, latest 91% (threshold 80% from alarm ...)' for evidence."""
        head = f"{subject}: " if subject else ""
        if not self.values:
            return f"{head}{self.label}: no datapoints in the window"
        per = f" per {self.period}s" if self.summed else ""
        return (
            f"{head}{self.label} {'low' if self.lower_is_worse else 'peak'} {_num(self.peak)}{self.unit}{per}, "
            f"latest {_num(self.values[-1])}{self.unit} (threshold {_num(self.line)}{self.unit}{per}, from "
            f"{self.threshold.source})"
        )


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.2f}"
