"""The benchmark's Markdown report and PNG chart, from every mode's results."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

from bench import chart, stackstats
from bench.scenarios import ModeResults
from bench.settings import CHECKOUT_USERS, CONNECTIONS, PGBENCH_CLIENTS, RESULTS, ROUNDS, SECONDS
from stack.services import SERVICES


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


def cpu_per_operation(results: dict[str, ModeResults]) -> list[str]:
    """Where the CPU of one transfer and of one checkout goes: milliseconds per operation, per kind of process."""
    mode = next(iter(results))
    columns: dict[str, tuple[dict[str, float], int]] = {}
    transfer = results[mode].measurements["transfer POST"]
    if transfer.cpu_by_process and transfer.requests:
        columns["transfer POST"] = (transfer.cpu_by_process, transfer.requests)
    checkout = results[mode].checkouts
    if checkout and checkout.usage and checkout.checkouts:
        columns["checkout (order + pay)"] = (checkout.usage.by_process, checkout.checkouts)
    if not columns:
        return []
    totals: dict[str, float] = {}
    for spent, count in columns.values():
        for name, seconds in spent.items():
            totals[name] = totals.get(name, 0.0) + seconds / count
    shown = [name for name, value in sorted(totals.items(), key=lambda item: -item[1]) if value * 1000 >= 0.05]
    lines = [
        "",
        f"CPU per operation ({mode}): milliseconds of CPU one operation cost each kind of process, from /proc"
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


def _ratios(mode: str, results: ModeResults, tps: float) -> list[str]:
    measurements = results.measurements
    health, whoami = measurements["health GET"], measurements["authenticated GET (whoami)"]
    bare = measurements["bare DRF GET, direct to gunicorn (reference)"].rate
    direct = measurements["authenticated GET, direct to gunicorn"].rate
    static = measurements["nginx static (gateway /health)"].rate
    static_file = measurements["nginx static file (the product list's bytes)"].rate
    cached = measurements["product list, anonymous, micro-cached"].rate
    uncached = measurements["product list, anonymous, uncached"].rate
    transfer = measurements["transfer POST"].rate
    lines = [
        f"| {mode}: authenticated GET / health GET, both through the gateway | {whoami.rate / health.rate:.2f} "
        "| ≥ 0.9 |",
        f"| {mode}: transfers/s / pgbench TPC-B tps | {transfer / tps:.2f} | ≥ 0.3 |",
        f"| {mode}: cached product list / nginx static | {cached / static:.2f} | ≥ 0.5 |",
        f"| {mode}: cached product list / nginx static file of the same bytes | {cached / static_file:.2f} | |",
        f"| {mode}: authenticated GET / bare DRF GET, both direct to gunicorn | {direct / bare:.2f} | |",
        f"| {mode}: health GET through the gateway / bare DRF GET direct | {health.rate / bare:.2f} | |",
        f"| {mode}: uncached product list / bare DRF GET | {uncached / bare:.2f} | |",
        f"| {mode}: cached / uncached product list | {cached / uncached:.1f} | |",
        f"| {mode}: login / bare DRF GET | {measurements['login (token)'].rate / bare:.3f} | |",
        f"| {mode}: refresh / bare DRF GET | {measurements['refresh (token/refresh)'].rate / bare:.2f} | |",
    ]
    if results.checkouts:
        lines.append(f"| {mode}: checkouts/s / pgbench TPC-B tps | {results.checkouts.rate / tps:.3f} | |")
    errors = sum(m.errors for m in measurements.values()) + (results.checkouts.errors if results.checkouts else 0)
    lines.append(f"| {mode}: errors in every scenario | {errors} | 0 |")
    return lines


def _memory(mode: str, results: ModeResults) -> list[str]:
    memory = results.memory
    return [
        "",
        f"Memory ({mode}): the whole native stack (six services' gunicorn masters and workers, "
        f"{sum(len(s.workers) for s in SERVICES)} relays, consumers and reconcilers, nginx; PSS) "
        f"{memory['idle']:,.0f} MiB idle, {memory['under load (peak)']:,.0f} MiB at its peak under load.",
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


def report(results: dict[str, ModeResults], tps: float) -> str:
    """Return the Markdown report: one row per mode and scenario, then the ratios."""
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} x {SECONDS}s per scenario, interleaved; medians. "
        "CPU is cores busy while the scenario ran (for one that writes events, until they were all delivered): "
        "the stack's processes (web workers, relays, consumers, nginx) + PostgreSQL's; memory is the stack's "
        "peak PSS.",
        "",
        "| mode | scenario | requests/s | p50 ms | p99 ms | requests | errors | CPU cores, stack + PostgreSQL "
        "| peak MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, mode_results in results.items():
        lines += _table(mode, mode_results)
    lines.append(f"| reference | pgbench TPC-B, {PGBENCH_CLIENTS} clients, scale 4 | {tps:,.0f} tps | | | | | | |")
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    for mode, mode_results in results.items():
        lines += _ratios(mode, mode_results, tps)
    if "gthread" in results and "uvicorn" in results:
        compared = ("health GET", "authenticated GET (whoami)", "transfer POST", "product list, anonymous, uncached")
        for scenario in compared:
            ratio = results["gthread"].measurements[scenario].rate / results["uvicorn"].measurements[scenario].rate
            lines.append(f"| {scenario}: gthread / uvicorn | {ratio:.2f} | |")
    for section in (_memory, _hops):
        lines += [line for mode, mode_results in results.items() for line in section(mode, mode_results)]
    lines += cpu_per_operation(results)
    lines += [line for mode, mode_results in results.items() for line in _events(mode, mode_results)]
    return "\n".join(lines) + "\n"


def draw_chart(results: dict[str, ModeResults]) -> Path:
    """serving.png: requests/s and p50/p99 of every scenario of the first mode."""
    mode = next(iter(results))
    first = results[mode]
    bars = [
        chart.Bar(m.scenario, m.rate, statistics.median(m.p50_ms), statistics.median(m.p99_ms))
        for m in first.measurements.values()
    ]
    if first.checkouts and first.checkouts.latencies_ms:
        checkout = first.checkouts
        bars.append(chart.Bar("full checkout (order + pay)", checkout.rate, checkout.p50_ms, checkout.p99_ms))
    if first.events:
        events = first.events
        bars.append(chart.Bar("events end to end", events.rate, events.p50_ms, events.p99_ms))
    path = RESULTS / "serving.png"
    chart.draw(bars, path, title=f"make bench ({mode} workers, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})")
    return path
