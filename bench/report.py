"""The benchmark's Markdown report and PNG chart, from every stack's and worker class's results."""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench import chart, stackstats
from bench.goals import goal_table
from bench.references import BARE_SCENARIO, References
from bench.scenarios import OWN_ACCOUNTS, TRANSFERS, ModeResults
from bench.settings import CHECKOUT_USERS, CONNECTIONS, LATENCY_TRANSFERS, PGBENCH_CLIENTS, RESULTS, ROUNDS, SECONDS


@dataclass(frozen=True)
class Run:
    """One tree's stack ("baseline 8130c16", "now"), measured with each worker class; the first measures flows."""

    label: str
    modes: dict[str, ModeResults]

    def rows(self) -> list[tuple[str, str, ModeResults]]:
        """(row label, worker class, results) for each worker class."""
        return [(f"{self.label} {mode}", mode, results) for mode, results in self.modes.items()]


def _usage_cells(stack_cores: list[float], postgres_cores: list[float], peak_mib: float) -> str:
    if not stack_cores:
        return " | |"
    return f" {statistics.median(stack_cores):.2f} + {statistics.median(postgres_cores):.2f} | {peak_mib:,.0f} |"


def _flow_usage(usage: stackstats.Usage | None) -> str:
    return _usage_cells([usage.stack_cores], [usage.postgres_cores], usage.stack_peak_mib) if usage else " | |"


def _row(mode: str, name: str, rate: str, p50: float, p99: float, count: int, errors: int, usage: str) -> str:
    """One scenario's row of the main table."""
    return f"| {mode} | {name} | {rate} | {_ms(p50)} | {_ms(p99)} | {count:,} | {errors} |{usage}"


def _ms(value: float) -> str:
    """Milliseconds with decimals only where they matter: 0.19, 18.32, 2,490."""
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def cpu_per_operation(runs: list[Run]) -> list[str]:
    """Where the CPU of one transfer and of one checkout goes: milliseconds per operation, per kind of process."""
    columns: dict[str, tuple[dict[str, float], int]] = {}
    for run in runs:
        mode, results = next(iter(run.modes.items()))
        transfer = results.measurements[TRANSFERS]
        if transfer.cpu_by_process and transfer.requests:
            columns[f"transfer ({run.label} {mode})"] = (transfer.cpu_by_process, transfer.requests)
    for run in runs:
        mode, results = next(iter(run.modes.items()))
        checkout = results.checkouts
        if checkout and checkout.usage and checkout.checkouts:
            columns[f"checkout ({run.label} {mode})"] = (checkout.usage.by_process, checkout.checkouts)
    if not columns:
        return []
    totals: dict[str, float] = {}
    for spent, count in columns.values():
        for name, seconds in spent.items():
            totals[name] = totals.get(name, 0.0) + seconds / count
    shown = [name for name, value in sorted(totals.items(), key=lambda item: -item[1]) if value * 1000 >= 0.05]
    lines = [
        "",
        "CPU per operation: milliseconds of CPU one operation cost each kind of process, from /proc"
        " over the measured seconds and until the operations' events were all delivered.",
        "",
        "| process | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name in shown:
        cells = [f"{1000 * spent.get(name, 0.0) / count:.2f}" for spent, count in columns.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cells = [f"{1000 * sum(spent.values()) / count:.2f}" for spent, count in columns.values()]
    return [*lines, "| all of them | " + " | ".join(cells) + " |"]


def _table(mode: str, results: ModeResults) -> list[str]:
    """The mode's rows of the main table: every scenario, then the checkouts and the events."""
    lines = [
        _row(mode, m.scenario, f"{m.rate:,.0f}", statistics.median(m.p50_ms), statistics.median(m.p99_ms),
             m.requests, m.errors, _usage_cells(m.stack_cores, m.postgres_cores, m.peak_mib))
        for m in results.measurements.values()
    ]  # fmt: skip
    if results.checkouts:
        checkout = results.checkouts
        lines.append(
            _row(mode, f"full checkout (order + pay), {CHECKOUT_USERS} customers", f"{checkout.rate:,.1f}",
                 checkout.p50_ms, checkout.p99_ms, checkout.checkouts, checkout.errors, _flow_usage(checkout.usage))
        )  # fmt: skip
    if results.events:
        events = results.events
        lines.append(
            _row(mode, "events end to end (outbox to inbox, during transfers)", f"{events.rate:,.0f}",
                 events.p50_ms, events.p99_ms, events.delivered, events.events - events.delivered,
                 _flow_usage(results.events_usage))
        )  # fmt: skip
    return lines


def _ratios(mode: str, results: ModeResults, references: References, label: str) -> list[str]:
    measurements = results.measurements
    health, whoami = measurements["health GET"], measurements["authenticated GET (whoami)"]
    bare = references.bare_rate(mode)
    tps = references.tps
    direct = measurements["authenticated GET, direct to gunicorn"].rate
    static = measurements["nginx static (gateway /health)"].rate
    static_file = measurements["nginx static file (the product list's bytes)"].rate
    cached = measurements["product list, anonymous, micro-cached"].rate
    uncached = measurements["product list, anonymous, uncached"].rate
    transfer = measurements[TRANSFERS]
    lines = [
        f"| {label}: authenticated GET / health GET, both through the gateway | {whoami.rate / health.rate:.2f} "
        "| ≥ 0.9 |",
        f"| {label}: own accounts list / health GET, both through the gateway "
        f"| {measurements[OWN_ACCOUNTS].rate / health.rate:.2f} | ≥ 0.5 |",
        f"| {label}: transfers/s (wrk's rate) / pgbench TPC-B tps | {transfer.rate / tps:.3f} | |",
    ]
    if transfer.delivered_rates:
        delivered = statistics.median(transfer.delivered_rates)
        lines.append(
            f"| {label}: transfers/s until their events are delivered / pgbench TPC-B tps | {delivered / tps:.3f} "
            "| ≥ 0.10 |"
        )
    lines += [
        f"| {label}: cached product list / nginx static | {cached / static:.2f} | ≥ 0.5 |",
        f"| {label}: cached product list / nginx static file of the same bytes | {cached / static_file:.2f} | |",
        f"| {label}: authenticated GET / bare DRF GET, both direct to gunicorn | {direct / bare:.2f} | |",
        f"| {label}: health GET through the gateway / bare DRF GET direct | {health.rate / bare:.2f} | |",
        f"| {label}: uncached product list / bare DRF GET | {uncached / bare:.3f} | ≥ 0.15 |",
        f"| {label}: cached / uncached product list | {cached / uncached:.1f} | |",
        f"| {label}: login / bare DRF GET | {measurements['login (token)'].rate / bare:.3f} | ≥ 0.015 |",
        f"| {label}: refresh / bare DRF GET | {measurements['refresh (token/refresh)'].rate / bare:.2f} | |",
    ]
    if results.checkouts:
        lines.append(f"| {label}: checkouts/s / pgbench TPC-B tps | {results.checkouts.rate / tps:.4f} | ≥ 0.015 |")
    errors = sum(m.errors for m in measurements.values()) + (results.checkouts.errors if results.checkouts else 0)
    lines.append(f"| {label}: errors in every scenario | {errors} | 0 |")
    return lines


def _memory(mode: str, results: ModeResults) -> list[str]:
    memory = results.memory
    return [
        "",
        f"Memory ({mode}): the whole native stack (six services' gunicorn masters and workers, their relays,"
        f" consumers and reconcilers, nginx; PSS) {memory['idle']:,.0f} MiB idle, after the scenarios,"
        f" {memory['under load (peak)']:,.0f} MiB at its peak under load.",
    ]


def _hops(mode: str, results: ModeResults) -> list[str]:
    checkout = results.checkouts
    if checkout is None:
        return []
    return [
        "",
        f"Checkouts ({mode}): {CHECKOUT_USERS} customers each placing an order and paying it, again and again,"
        f" for {checkout.seconds:.0f} s: {checkout.checkouts:,} paid orders. Median time per hop:",
        "",
        "| hop (median ms) | ms |",
        "|---|---:|",
        *(f"| {hop} | {ms:,.1f} |" for hop, ms in checkout.hops.items()),
    ]


def _events(mode: str, results: ModeResults) -> list[str]:
    figures = results.events
    if figures is None:
        return []
    return [
        "",
        f"Events ({mode}), during {SECONDS} s of transfers: {figures.events:,} transfer.completed events"
        f" written, {figures.delivered:,} delivered to the inbox; {figures.rate:,.0f} events/s end to end;"
        f" latency from the outbox row to the inbox entry p50 {figures.p50_ms:,.0f} ms,"
        f" p99 {figures.p99_ms:,.0f} ms.",
    ]


def _idle_latency(mode: str, results: ModeResults) -> list[str]:
    latency = results.idle_latency
    if latency is None:
        return []
    outbox = latency.from_outbox
    return [
        "",
        f"Event latency on an idle stack ({mode}): {LATENCY_TRANSFERS} transfers one at a time, each sent once the"
        f" last one's notification was in the inbox; {len(latency.latencies_ms)} timed, {latency.missing} not"
        f" delivered in 10 s. From the transfer's answer to the sender's inbox row p50 {latency.p50_ms:,.0f} ms,"
        f" p99 {latency.p99_ms:,.0f} ms; from the event's outbox row (written in the transfer's transaction)"
        f" p50 {outbox.p50_ms:,.0f} ms, p99 {outbox.p99_ms:,.0f} ms.",
    ]


def report(runs: list[Run], references: References) -> str:
    """The Markdown report: the goals (baseline and now side by side), every scenario's row, the ratios, the rest."""
    mode, now = next(iter(runs[-1].modes.items()))
    baseline = (runs[0].label, runs[0].modes[mode]) if len(runs) > 1 and mode in runs[0].modes else None
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} x {SECONDS}s per scenario, interleaved; medians. "
        + (f"Both stacks measured one after the other in this run ({baseline[0]} first), " if baseline else "")
        + "the references (pgbench, the bare DRF GET) once, before them.",
        "",
        f"Goals ({mode} workers):",
        "",
        *goal_table((runs[-1].label, now), references, mode, baseline=baseline),
        "",
        "All scenarios. CPU is cores busy while the scenario ran (for one that writes events, until they were all"
        " delivered): the stack's processes (web workers, relays, consumers, nginx) + PostgreSQL's; memory is the"
        " stack's peak PSS.",
        "",
        "| stack, mode | scenario | requests/s | p50 ms | p99 ms | requests | errors | CPU cores, stack + PostgreSQL "
        "| peak MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [row for run in runs for row in run.rows()]
    for label, _, results in rows:
        lines += _table(label, results)
    for bare_mode, bare in references.bare.items():
        lines.append(
            _row(f"reference {bare_mode}", BARE_SCENARIO, f"{bare.rate:,.0f}", statistics.median(bare.p50_ms),
                 statistics.median(bare.p99_ms), bare.requests, bare.errors, " | |")
        )  # fmt: skip
    lines.append(
        f"| reference | pgbench TPC-B, {PGBENCH_CLIENTS} clients, scale 4 | {references.tps:,.0f} tps | | | | | | |"
    )
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    for label, row_mode, results in rows:
        lines += _ratios(row_mode, results, references, label)
    for run in runs:
        if "gthread" in run.modes and "uvicorn" in run.modes:
            compared = ("health GET", "authenticated GET (whoami)", TRANSFERS, "product list, anonymous, uncached")
            for scenario in compared:
                gthread, uvicorn = (run.modes[name].measurements[scenario].rate for name in ("gthread", "uvicorn"))
                lines.append(f"| {run.label}: {scenario}: gthread / uvicorn | {gthread / uvicorn:.2f} | |")
    for section in (_memory, _hops):
        lines += [line for label, _, results in rows for line in section(label, results)]
    lines += cpu_per_operation(runs)
    for section in (_events, _idle_latency):
        lines += [line for label, _, results in rows for line in section(label, results)]
    return "\n".join(lines) + "\n"


def draw_chart(run: Run, references: References) -> Path:
    """serving.png: requests/s and p50/p99 of every scenario of the run's first worker class, and the bare GET."""
    mode, first = next(iter(run.modes.items()))
    bars = [
        chart.Bar(m.scenario, m.rate, statistics.median(m.p50_ms), statistics.median(m.p99_ms))
        for m in first.measurements.values()
    ]
    if mode in references.bare:
        bare = references.bare[mode]
        bars.append(chart.Bar(bare.scenario, bare.rate, statistics.median(bare.p50_ms), statistics.median(bare.p99_ms)))
    if first.checkouts and first.checkouts.latencies_ms:
        checkout = first.checkouts
        bars.append(chart.Bar("full checkout (order + pay)", checkout.rate, checkout.p50_ms, checkout.p99_ms))
    if first.events:
        events = first.events
        bars.append(chart.Bar("events end to end", events.rate, events.p50_ms, events.p99_ms))
    path = RESULTS / "serving.png"
    title = f"make bench: {run.label} ({mode} workers, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})"
    chart.draw(bars, path, title=title)
    return path
