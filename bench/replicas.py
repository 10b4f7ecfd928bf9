"""Transfers/s and checkouts/s with one replica of every service and with two, and PostgreSQL's sessions.

Three stacks of the working tree, one after the other, under the same load: one replica straight to
PostgreSQL, one replica through PgBouncer, two replicas through PgBouncer (what `REPLICAS=2` runs).
Each is loaded with the transfer scenario's wrk script (ROUNDS x SECONDS) and with full checkouts
(bench.flows), while a thread samples how many sessions PostgreSQL has open on the stack's
databases. The ratios say what a second replica buys on this machine, and what PgBouncer costs.

Alone: `.venv/bin/python bench/replicas.py` (short: BENCH_SECONDS=2 BENCH_ROUNDS=1
BENCH_ACCOUNTS=4 BENCH_CHECKOUT_USERS=2). BENCH_REPLICAS=none leaves it out of `make bench`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.flows import CheckoutFigures, measure_checkouts
from bench.seeding import funded_customers, transfer_script
from bench.settings import ROUNDS, SECONDS, STACK_ENVIRONMENT, SUFFIX
from bench.wrk import Measurement, wrk
from stack import db, pgbouncer
from stack.events import drain_events
from stack.launch import launched_stack

ENABLED = os.environ.get("BENCH_REPLICAS", "").strip().lower() not in ("none", "0", "no", "off")
# (label, replicas, PgBouncer)
CONFIGURATIONS = (
    ("1 replica", 1, False),
    ("1 replica, PgBouncer", 1, True),
    ("2 replicas, PgBouncer", 2, True),
)


@dataclass
class ReplicaFigures:
    """One configuration's figures."""

    label: str
    replicas: int
    pgbouncer: bool
    transfers: Measurement
    checkouts: CheckoutFigures
    sessions_idle: int
    sessions_peak: int


class SessionSampler:
    """The most sessions PostgreSQL had open on the stack's databases while the block ran (every 0.2 s)."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, pgbouncer.server_connections(self.suffix, admin_url=db.admin_url()))
            self._stop.wait(0.2)

    def __enter__(self) -> SessionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_configuration(label: str, replicas: int, with_pgbouncer: bool) -> ReplicaFigures:
    print(f"{time.strftime('%H:%M:%S')} replicas: {label}: starting its stack", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="bench-replicas-") as work,
        launched_stack(
            Path(work), db_suffix=SUFFIX, environment=STACK_ENVIRONMENT, replicas=replicas, pgbouncer=with_pgbouncer
        ) as stack,
    ):
        script = transfer_script(Path(work), funded_customers(stack.url))
        wrk(stack.url, seconds=2, script=script)  # warm-up: every replica's workers connect, import, cache
        drain_events(suffix=SUFFIX)
        time.sleep(2)
        idle = pgbouncer.server_connections(SUFFIX, admin_url=db.admin_url())
        transfers = Measurement("transfer POST")
        with SessionSampler(SUFFIX) as sessions:
            for _ in range(ROUNDS):
                transfers.add(wrk(stack.url, seconds=SECONDS, script=script), None)
                drain_events(suffix=SUFFIX)
            checkouts = measure_checkouts(stack, SECONDS * 2)
        print(f"{time.strftime('%H:%M:%S')} replicas: {label}: {stack.manage('bank', 'verify_ledger').strip()}")
        return ReplicaFigures(label, replicas, with_pgbouncer, transfers, checkouts, idle, sessions.peak)


def measure_replicas() -> list[ReplicaFigures]:
    return [measure_configuration(*configuration) for configuration in CONFIGURATIONS]


def report_lines(figures: list[ReplicaFigures]) -> list[str]:
    """The replicas section of the report: a row per configuration, then the ratios."""
    lines = [
        "",
        f"Replicas (`REPLICAS`, docs/scaling.md): transfers (wrk, {ROUNDS} x {SECONDS}s, median) and full checkouts"
        " on stacks of the working tree one after the other; PostgreSQL sessions on the stack's databases, idle"
        " and at the peak under load.",
        "",
        "| stack | transfers/s | p99 ms | checkouts/s | checkout p99 ms | errors | PostgreSQL sessions idle / peak |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for each in figures:
        lines.append(
            f"| {each.label} | {each.transfers.rate:,.0f} | {statistics.median(each.transfers.p99_ms):.0f}"
            f" | {each.checkouts.rate:,.1f} | {each.checkouts.p99_ms:.0f}"
            f" | {each.transfers.errors + each.checkouts.errors} | {each.sessions_idle} / {each.sessions_peak} |"
        )
    by_label = {each.label: each for each in figures}
    one, pooled, two = (by_label[label] for label, _, _ in CONFIGURATIONS)
    lines += ["", "| ratio | transfers/s | checkouts/s |", "|---|---:|---:|"]
    for name, numerator, denominator in (
        ("2 replicas (PgBouncer) / 1 replica", two, one),
        ("2 replicas / 1 replica, both through PgBouncer", two, pooled),
        ("1 replica: through PgBouncer / direct", pooled, one),
    ):
        lines.append(
            f"| {name} | {numerator.transfers.rate / denominator.transfers.rate:.2f}"
            f" | {numerator.checkouts.rate / denominator.checkouts.rate:.2f} |"
        )
    return lines


def main() -> None:
    print("\n".join(report_lines(measure_replicas())))


if __name__ == "__main__":
    main()
