"""Profile the full checkout, the slowest flow of `make bench`, with py-spy.

Starts the native stack as `make bench` does, has customers check out again and again for
BENCH_PROFILE_SECONDS (default 15), and meanwhile reads every process's CPU time from /proc and
samples with py-spy every gunicorn worker of the services a checkout crosses (orders, catalog,
payments, bank) and the notifications' event consumer. py-spy runs with --gil: it keeps only the
samples of a thread holding the GIL, so a thread waiting on the database or another service is
not counted and the tables show where the CPU went. Writes bench/results/profile.md: the CPU of one
checkout per kind of process, then per profiled process the functions where its CPU went (self and
inclusive, as a share of its samples), the project's own code apart from the libraries'.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.flows import CheckoutFigures, measure_checkouts  # noqa: E402
from bench.settings import CHECKOUT_USERS, RESULTS, STACK_ENVIRONMENT, SUFFIX  # noqa: E402
from stack import processes  # noqa: E402
from stack.events import drain_events  # noqa: E402
from stack.launch import launched_stack  # noqa: E402

SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "15"))
PROFILED = ("orders", "catalog", "payments", "bank")
CONSUMER = "notifications consume_events"
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")


def summarize(raw: str, *, top: int = 12) -> list[str]:
    """Markdown rows of the hottest functions from py-spy's raw (collapsed stack) output."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_label(frame) for frame in stack.split(";")]
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return ["(no samples)"]
    ours = [(name, value) for name, value in inclusive.most_common() if "(ours)" in name][:top]
    return [
        f"{total:,} samples.",
        "",
        "| self % | function |",
        "|---:|---|",
        *(f"| {100 * value / total:.1f} | {name} |" for name, value in own.most_common(top)),
        "",
        "| inclusive % | the project's own code |",
        "|---:|---|",
        *(f"| {100 * value / total:.1f} | {name} |" for name, value in ours),
    ]


def _label(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match.group("file")
    if "site-packages/" in path:
        return f"{match.group('function')} ({path.split('site-packages/', 1)[1]})"
    if path.startswith(str(REPO_ROOT)) and "/.venv/" not in path:
        return f"{match.group('function')} ({Path(path).relative_to(REPO_ROOT)}) (ours)"
    return f"{match.group('function')} ({Path(path).name})"


def cpu_table(figures: CheckoutFigures) -> list[str]:
    """Milliseconds of CPU one checkout cost each kind of process, from /proc over the measured seconds."""
    if figures.usage is None or not figures.checkouts:
        return []
    spent = sorted(figures.usage.by_process.items(), key=lambda item: -item[1])
    rows = [f"| {name} | {1000 * seconds / figures.checkouts:.2f} |" for name, seconds in spent if seconds > 0]
    total = 1000 * sum(figures.usage.by_process.values()) / figures.checkouts
    return [
        "",
        "## CPU of one checkout, per kind of process",
        "",
        "| process | CPU ms per checkout |",
        "|---|---:|",
        *rows,
        f"| all of them | {total:.2f} |",
    ]


def main() -> None:
    py_spy = Path(sys.executable).with_name("py-spy")
    environment = {**STACK_ENVIRONMENT, "GUNICORN_WORKER_CLASS": "gthread"}
    with (
        tempfile.TemporaryDirectory(prefix="bench-profile-") as work,
        launched_stack(Path(work), db_suffix=SUFFIX, environment=environment) as stack,
    ):
        measure_checkouts(stack, 3)  # warm-up: workers loaded, keys fetched, connections open
        drain_events(suffix=SUFFIX)
        runner = processes.runner_of(stack.run_dir)
        profiled = {name: processes.gunicorn_workers(runner, name) for name in PROFILED}
        profiled[CONSUMER] = [pid for pid in processes.tree(runner) if processes.label(pid) == CONSUMER]
        recorders: dict[str, list[tuple[subprocess.Popen[bytes], Path]]] = {}
        for name, pids in profiled.items():
            for pid in pids:
                output = Path(work) / f"{name.replace(' ', '-')}-{pid}.txt"
                command = [
                    str(py_spy), "record", "--gil", "--nonblocking", "--full-filenames", "--format", "raw",
                    "--rate", "200", "--duration", str(SECONDS), "--output", str(output), "--pid", str(pid),
                ]  # fmt: skip
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                recorders.setdefault(name, []).append((process, output))
        time.sleep(0.5)
        figures = measure_checkouts(stack, SECONDS - 1, runner=runner)
        sections = []
        for name, recorded in recorders.items():
            raw = ""
            for process, output in recorded:
                _, errors = process.communicate(timeout=SECONDS + 30)
                if process.returncode != 0 or not output.exists():
                    raise RuntimeError(f"py-spy failed for {name}: {errors.decode()[-500:]}")
                raw += output.read_text()
            kind = "workers" if name in PROFILED else "process"
            sections += ["", f"## {name} ({len(recorded)} {kind})", "", *summarize(raw)]
    p50 = figures.p50_ms
    text = "\n".join(
        [
            f"# Checkout profile ({time.strftime('%Y-%m-%d')})",
            "",
            f"py-spy at 200 Hz over every gunicorn worker of {', '.join(PROFILED)} and the {CONSUMER} process,"
            f" while {CHECKOUT_USERS} customers checked out for {figures.seconds:.0f} s:"
            f" {figures.checkouts:,} checkouts, {figures.rate:.1f}/s, p50 {p50:,.0f} ms, {figures.errors} errors.",
            "Samples are of threads holding the GIL (py-spy --gil): CPU, not waits on the database or another service."
            " py-spy's own sampling slows the stack, so the rate is below `make bench`'s.",
            *cpu_table(figures),
            *sections,
        ]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
