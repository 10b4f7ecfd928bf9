"""The benchmark's PNG chart: requests/s and p50/p99 latency per scenario, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bar:
    scenario: str
    rate: float
    p50_ms: float
    p99_ms: float


def draw(bars: Sequence[Bar], path: Path, *, title: str) -> None:
    """Write a two-panel horizontal bar chart (log scales: the rates span five orders of magnitude)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [bar.scenario for bar in bars]
    positions = range(len(bars))
    figure, (rates, latencies) = plt.subplots(
        1, 2, figsize=(13, 0.45 * len(bars) + 1.6), sharey=True, gridspec_kw={"wspace": 0.05}
    )
    rates.barh(positions, [bar.rate for bar in bars], color="#3b75af")
    rates.set_xscale("log")
    rates.set_xlabel("requests/s (log scale)")
    rates.set_yticks(list(positions), names)
    rates.invert_yaxis()
    for position, bar in zip(positions, bars, strict=True):
        rates.annotate(f"{bar.rate:,.0f}", (bar.rate, position), xytext=(3, 0), textcoords="offset points",
                       va="center", fontsize=8)  # fmt: skip
    height = 0.38
    latencies.barh([p - height / 2 for p in positions], [bar.p50_ms for bar in bars], height, label="p50",
                   color="#519e3e")  # fmt: skip
    latencies.barh([p + height / 2 for p in positions], [bar.p99_ms for bar in bars], height, label="p99",
                   color="#ef8636")  # fmt: skip
    latencies.set_xscale("log")
    latencies.set_xlabel("latency, ms (log scale)")
    latencies.legend(loc="lower right")
    for axis in (rates, latencies):
        axis.grid(axis="x", which="major", alpha=0.3)
    figure.suptitle(title, fontsize=10)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
