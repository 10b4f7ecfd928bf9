"""Throughput through the gateway, per gunicorn worker class, with reference rates from the same run.

Brings up the native stack (fresh `_bench` databases, free ports) once per serving mode, loads it
with wrk (nginx's own static answer, health, an authenticated GET without database work, sign-in,
token refresh, transfers between random pairs of many accounts, the anonymous product list with
and without the gateway's micro-cache), then full checkouts and events end to end; runs a bare
DRF endpoint on the same gunicorn settings and pgbench's TPC-B on the same PostgreSQL as
references; reads the CPU time and memory of the stack's processes from /proc during each
scenario; and writes a Markdown report and a PNG chart under bench/results/ (BENCH_RESULTS).
Settings: BENCH_SECONDS (per measurement, default 5), BENCH_CONNECTIONS (default 32),
BENCH_MODES (default "gthread"; "gthread uvicorn" compares worker classes), BENCH_ROUNDS (default
3), BENCH_DB_SUFFIX (default _bench). Rounds alternate the order of the scenarios (ABBA) and the
table reports medians, because a shared 2-core machine is noisy. A short run: BENCH_SECONDS=1
BENCH_ROUNDS=1 BENCH_ACCOUNTS=4 BENCH_PRODUCTS=5 BENCH_CHECKOUT_USERS=2.

The pieces: `settings`, `scenarios` (one mode's stack and its wrk scenarios), `flows` (checkouts
and events end to end), `references` (pgbench, the bare DRF endpoint), `report` (Markdown, chart).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.references import pgbench_tps
from bench.report import draw_chart, report
from bench.scenarios import bench_mode
from bench.settings import MODES, RESULTS, SECONDS


def main() -> None:
    results = {mode: bench_mode(mode) for mode in MODES}
    tps = pgbench_tps(SECONDS * 2)
    text = report(results, tps)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.md").write_text(
        f"# Serving benchmark ({time.strftime('%Y-%m-%d')})\n\n![requests/s and latency](serving.png)\n\n{text}"
    )
    draw_chart(results)
    print(text)


if __name__ == "__main__":
    main()
