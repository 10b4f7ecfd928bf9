"""The write paths' goals and every serving figure, for a baseline revision and the working tree, in one run.

Measures the references once (a bare DRF endpoint on the working tree's gunicorn settings, pgbench's
TPC-B on the same PostgreSQL), then brings up the native stack of the baseline revision
(BENCH_BASELINE, default 8130c16, checked out with `git worktree add` into a temporary folder; "none"
skips it) and then the working tree's, each on fresh databases and free ports, and loads each with
wrk: nginx's own static answer, health, an authenticated GET without database work, a customer's own
accounts list, sign-in, token refresh, transfers between random pairs of many accounts (counted
until their events are in the inbox), the anonymous product list with and without the gateway's
micro-cache; then, with the first worker class, transfers one at a time on the idle stack (from
each answer to its inbox row), events end to end under load and full checkouts; then transfers and
checkouts with one replica and with two (bench/replicas.py; BENCH_REPLICAS=none skips). It reads the CPU
time and memory of each stack's processes from /proc during each scenario, prints the goal table
(baseline, now, goal, met and by how much) and writes a Markdown report and a PNG chart under
bench/results/ (BENCH_RESULTS).

Settings: BENCH_SECONDS (per measurement, default 5), BENCH_CONNECTIONS (default 32), BENCH_MODES
(default "gthread"; "gthread uvicorn" compares worker classes, on the working tree only),
BENCH_ROUNDS (default 3), BENCH_DB_SUFFIX (default _bench), BENCH_BASELINE (a git revision, or
"none"), BENCH_LATENCY_TRANSFERS (default 20 x BENCH_SECONDS). Rounds alternate the order of the
scenarios (ABBA) and the tables report medians, because a shared 2-core machine is noisy. A short
run: BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_ACCOUNTS=4 BENCH_PRODUCTS=5 BENCH_CHECKOUT_USERS=2.

The pieces: `settings`, `baseline` (which code a stack runs), `scenarios` (one stack's wrk scenarios
and flows), `flows` (checkouts, events end to end, idle event latency), `references` (pgbench, the
bare DRF endpoint), `goals` (the goal table), `report` (Markdown, chart).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import Tree, checked_out, short_revision
from bench.references import measure_references
from bench.replicas import ENABLED as REPLICAS_ENABLED
from bench.replicas import measure_replicas
from bench.replicas import report_lines as replica_lines
from bench.report import Run, draw_chart, report
from bench.scenarios import bench_mode
from bench.settings import BASELINE, MODES, REPO_ROOT, RESULTS, SUFFIX


def measure(tree: Tree, modes: list[str]) -> Run:
    """The tree's stack with each worker class; the first also measures the flows."""
    return Run(tree.label, {mode: bench_mode(mode, tree, first=mode == modes[0]) for mode in modes})


def main() -> None:
    started = time.monotonic()
    revision = None if BASELINE.lower() in ("", "none") else short_revision(BASELINE)
    print(f"{time.strftime('%H:%M:%S')} references: the bare DRF GET and pgbench", flush=True)
    references = measure_references(MODES)
    runs = []
    if revision is not None:
        with checked_out(revision) as root:
            # The baseline runs its first worker class only: the goals are read from it.
            runs.append(measure(Tree(f"baseline {revision}", root, SUFFIX), MODES[:1]))
    runs.append(measure(Tree("now", REPO_ROOT, SUFFIX), MODES))
    text = report(runs, references)
    if REPLICAS_ENABLED:
        text += "\n".join(replica_lines(measure_replicas())) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.md").write_text(
        f"# Serving benchmark ({time.strftime('%Y-%m-%d')})\n\n![requests/s and latency](serving.png)\n\n{text}"
    )
    draw_chart(runs[-1], references)
    print(text)
    print(f"make bench took {(time.monotonic() - started) / 60:.1f} min; written to {RESULTS}", flush=True)


if __name__ == "__main__":
    main()
