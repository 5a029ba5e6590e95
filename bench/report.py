"""Turning samples into the benchmark's table and JSON: median and 95th percentile, and targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass

from bench.startup import percentile


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):9.1f}  p95 {percentile(values, 0.95):9.1f}"


@dataclass
class Row:
    group: str
    measure: str
    backend: str
    unit: str
    runs: int
    median: float
    p95: float
    target: str = ""
    met: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[Row], bool]


def row(
    group: str,
    measure: str,
    backend: str,
    values: list[float],
    *,
    unit: str = "ms",
    target: Target | None = None,
) -> Row:
    result = Row(
        group,
        measure,
        backend,
        unit,
        len(values),
        statistics.median(values),
        percentile(values, 0.95),
    )
    if target is not None:
        result.target, result.met = target.text, target.check(result)
    return result


def table(rows: list[Row]) -> str:
    """One plain-text table: every measure, its median and p95, and how far from its target."""
    header = f"{'measure':<58} {'backend':<10} {'median':>10} {'p95':>10}  target"
    lines = [header, "-" * len(header)]
    group = None
    for item in rows:
        if item.group != group:
            group = item.group
            lines.append(f"[{group}]")
        verdict = "" if item.met is None else ("  met" if item.met else "  MISSED")
        value_format = "{:>10.2f}" if item.unit == "x" else "{:>10.1f}"
        lines.append(
            f"  {item.measure + ' (' + item.unit + ')':<56} {item.backend:<10} "
            + value_format.format(item.median)
            + " "
            + value_format.format(item.p95)
            + (f"  {item.target}{verdict}" if item.target else "")
        )
    return "\n".join(lines)
