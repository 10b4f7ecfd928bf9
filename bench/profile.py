"""Profile the full checkout, the slowest flow of `make bench`, with py-spy.

Starts the native stack as `make bench` does, has customers check out again and again for
BENCH_PROFILE_SECONDS (default 15), and samples every gunicorn worker of the services a checkout
crosses (orders, catalog, payments, bank) with py-spy meanwhile. Writes bench/results/profile.md:
per service, the functions where the CPU time went (self and inclusive, as a share of the
service's samples), the project's own code apart from the libraries'.
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

from bench import run  # noqa: E402
from stack.launch import launched_stack  # noqa: E402
from stack.services import SERVICES  # noqa: E402

SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "15"))
PROFILED = ("orders", "catalog", "payments", "bank")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")


def gunicorn_workers(directory: Path) -> list[int]:
    """The pids of the gunicorn workers running in `directory` (the children of its master)."""
    candidates = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes()
            cwd = Path(os.readlink(entry / "cwd"))
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"gunicorn" in arguments and cwd == directory:
            candidates[int(entry.name)] = parent
    workers = [pid for pid, parent in candidates.items() if parent in candidates]
    if not workers:
        raise LookupError(f"no gunicorn workers in {directory}")
    return workers


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


def main() -> None:
    py_spy = Path(sys.executable).with_name("py-spy")
    environment = {**run.STACK_ENVIRONMENT, "GUNICORN_WORKER_CLASS": "gthread"}
    with (
        tempfile.TemporaryDirectory(prefix="bench-profile-") as work,
        launched_stack(Path(work), db_suffix="_bench", environment=environment) as stack,
    ):
        run.measure_checkouts(stack, 3)  # warm-up: workers loaded, keys fetched, connections open
        run.drain_events()
        recorders: dict[str, list[tuple[subprocess.Popen[bytes], Path]]] = {}
        for name in PROFILED:
            service = next(s for s in SERVICES if s.name == name)
            for pid in gunicorn_workers(service.path):
                output = Path(work) / f"{name}-{pid}.txt"
                command = [
                    str(py_spy), "record", "--nonblocking", "--full-filenames", "--format", "raw", "--rate", "200",
                    "--duration", str(SECONDS), "--output", str(output), "--pid", str(pid),
                ]  # fmt: skip
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                recorders.setdefault(name, []).append((process, output))
        time.sleep(0.5)
        figures = run.measure_checkouts(stack, SECONDS - 1)
        sections = []
        for name, recorded in recorders.items():
            raw = ""
            for process, output in recorded:
                _, errors = process.communicate(timeout=SECONDS + 30)
                if process.returncode != 0 or not output.exists():
                    raise RuntimeError(f"py-spy failed for {name}: {errors.decode()[-500:]}")
                raw += output.read_text()
            sections += ["", f"## {name} ({len(recorded)} workers)", "", *summarize(raw)]
    p50 = run._percentile(figures.latencies_ms, 0.5) if figures.latencies_ms else 0.0
    text = "\n".join(
        [
            f"# Checkout profile ({time.strftime('%Y-%m-%d')})",
            "",
            f"py-spy at 200 Hz over every gunicorn worker of {', '.join(PROFILED)}, while {run.CHECKOUT_USERS}"
            f" customers checked out for {figures.seconds:.0f} s: {figures.checkouts:,} checkouts,"
            f" {figures.rate:.1f}/s, p50 {p50:,.0f} ms, {figures.errors} errors.",
            "py-spy counts threads blocked on a socket (the database, another service) as busy: waits show with CPU.",
            *sections,
        ]
    )
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    (run.RESULTS / "profile.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
