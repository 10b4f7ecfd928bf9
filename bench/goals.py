"""The write paths' performance goals: each row a figure of one stack's results, its limits, and a verdict.

Every figure is a ratio to a reference measured in the same run, a CPU time per operation, a
latency or a memory size, so the baseline's and the working tree's figures of one run compare
like with like. A goal not met says by how much.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.references import References
from bench.scenarios import OWN_ACCOUNTS, TRANSFERS, ModeResults


@dataclass(frozen=True)
class Figure:
    """What one stack measured for a goal: one value per limit, and a note shown beside them (a rate)."""

    values: tuple[float, ...]
    note: str = ""


Measure = Callable[[ModeResults, References, str], Figure | None]


@dataclass(frozen=True)
class Goal:
    """A row of the goal table: `values` must be at least (or at most) `limits`, each in `unit`."""

    scenario: str
    measure: Measure
    limits: tuple[float, ...]
    at_least: bool
    unit: str = ""
    decimals: int = 2
    parts: tuple[str, ...] = ()  # the values' names, where there are several

    def format(self, value: float) -> str:
        return f"{value:,.{self.decimals}f}{self.unit}"

    @property
    def target(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return " / ".join(f"{sign} {limit:,g}{self.unit}" for limit in self.limits)

    def shown(self, figure: Figure | None) -> str:
        if figure is None:
            return "not measured"
        values = " / ".join(self.format(value) for value in figure.values)
        return f"{values} ({figure.note})" if figure.note else values

    def verdict(self, figure: Figure | None) -> str:
        """ "yes", or "no" and by how much each value misses its limit."""
        if figure is None:
            return "not measured"
        misses = [
            miss
            for index, (value, limit) in enumerate(zip(figure.values, self.limits, strict=True))
            if (miss := self._miss(value, limit, named=f"{self.parts[index]} " if self.parts else ""))
        ]
        return "no: " + "; ".join(misses) if misses else "yes"

    def _miss(self, value: float, limit: float, *, named: str) -> str:
        if self.at_least and value < limit:
            if value <= 0:
                return f"{named}nothing measured"
            return f"{named}{1 - value / limit:.0%} below, needs {limit / value:.1f} times as much"
        if not self.at_least and value > limit:
            return f"{named}{value / limit - 1:.0%} above, needs {1 - limit / value:.0%} less"
        return ""


def _sign_in(results: ModeResults, references: References, mode: str) -> Figure:
    rate = results.measurements["login (token)"].rate
    return Figure((rate / references.bare_rate(mode),), f"{rate:,.0f}/s")


def _transfers(results: ModeResults, references: References, mode: str) -> Figure | None:
    delivered = results.measurements[TRANSFERS].delivered_rates
    if not delivered:
        return None
    rate = statistics.median(delivered)
    return Figure((rate / references.tps,), f"{rate:,.0f}/s")


def _transfer_cpu(results: ModeResults, references: References, mode: str) -> Figure | None:
    transfer = results.measurements[TRANSFERS]
    if not transfer.cpu_by_process or not transfer.requests:
        return None
    return Figure((1000 * sum(transfer.cpu_by_process.values()) / transfer.requests,))


def _checkouts(results: ModeResults, references: References, mode: str) -> Figure | None:
    checkout = results.checkouts
    if checkout is None or not checkout.checkouts:
        return None
    return Figure((checkout.rate / references.tps,), f"{checkout.rate:,.1f}/s")


def _checkout_cpu(results: ModeResults, references: References, mode: str) -> Figure | None:
    checkout = results.checkouts
    if checkout is None or checkout.usage is None or not checkout.checkouts:
        return None
    return Figure((1000 * sum(checkout.usage.by_process.values()) / checkout.checkouts,))


def _own_accounts(results: ModeResults, references: References, mode: str) -> Figure:
    own, health = results.measurements[OWN_ACCOUNTS].rate, results.measurements["health GET"].rate
    return Figure((own / health,), f"{own:,.0f}/s")


def _uncached_page(results: ModeResults, references: References, mode: str) -> Figure:
    rate = results.measurements["product list, anonymous, uncached"].rate
    return Figure((rate / references.bare_rate(mode),), f"{rate:,.0f}/s")


def _idle_latency(results: ModeResults, references: References, mode: str) -> Figure | None:
    latency = results.idle_latency
    if latency is None or not latency.latencies_ms:
        return None
    missing = f", {latency.missing} not delivered" if latency.missing else ""
    return Figure((latency.p50_ms, latency.p99_ms), f"{len(latency.latencies_ms)} transfers{missing}")


def _memory(results: ModeResults, references: References, mode: str) -> Figure:
    return Figure((results.memory["idle"], results.memory["under load (peak)"]))


GOALS = (
    Goal("sign-in / bare DRF GET", _sign_in, (0.015,), at_least=True, decimals=3),
    Goal("transfers/s / pgbench TPC-B tps, events delivered", _transfers, (0.10,), at_least=True, decimals=3),
    Goal(
        "CPU per transfer, all processes until its event is in the inbox",
        _transfer_cpu,
        (5.5,),
        at_least=False,
        unit=" ms",
        decimals=1,
    ),
    Goal("checkouts/s / pgbench TPC-B tps", _checkouts, (0.015,), at_least=True, decimals=4),
    Goal("CPU per checkout, all processes", _checkout_cpu, (35,), at_least=False, unit=" ms", decimals=1),
    Goal("authenticated own-accounts list / health GET", _own_accounts, (0.5,), at_least=True),
    Goal("uncached product page / bare DRF GET", _uncached_page, (0.15,), at_least=True, decimals=3),
    Goal(
        "event latency, idle stack, a transfer's answer to its inbox row, p50 / p99",
        _idle_latency,
        (50, 250),
        at_least=False,
        unit=" ms",
        decimals=0,
        parts=("p50", "p99"),
    ),
    Goal(
        "stack memory (PSS), idle / peak under load",
        _memory,
        (900, 1300),
        at_least=False,
        unit=" MiB",
        decimals=0,
        parts=("idle", "peak"),
    ),
)


def goal_table(
    now: tuple[str, ModeResults],
    references: References,
    mode: str,
    *,
    baseline: tuple[str, ModeResults] | None = None,
    goals: Sequence[Goal] = GOALS,
) -> list[str]:
    """The Markdown table of every goal: the baseline's figure, the working tree's, the goal, and whether it is met."""
    label, results = now
    header = ["scenario", *([baseline[0]] if baseline else []), label, "goal", "met?"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 3) + "---|---|"]
    for goal in goals:
        figure = _measured(goal, results, references, mode)
        cells = [goal.scenario]
        if baseline:
            cells.append(goal.shown(_measured(goal, baseline[1], references, mode)))
        cells += [goal.shown(figure), goal.target, goal.verdict(figure)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _measured(goal: Goal, results: ModeResults, references: References, mode: str) -> Figure | None:
    """The goal's figure of one stack (None where the run did not measure it: a short run's empty scenario)."""
    try:
        return goal.measure(results, references, mode)
    except (KeyError, ZeroDivisionError, statistics.StatisticsError):
        return None
