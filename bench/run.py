"""Throughput through the gateway: health versus an authenticated GET, per gunicorn worker class.

Brings up the native stack (fresh `_bench` databases, free ports) once per serving mode, loads it
with wrk, and prints requests/s, latency and the ratios that matter, all measured in one run.
Settings: BENCH_SECONDS (per measurement, default 8), BENCH_CONNECTIONS (default 32),
BENCH_MODES (default "gthread uvicorn"), BENCH_ROUNDS (default 5). Rounds alternate the order of
the scenarios (ABBA) and the table reports medians, because a shared 2-core machine is noisy.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from stack.gateway import ensure_command  # noqa: E402
from stack.launch import launched_stack  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
MODES = os.environ.get("BENCH_MODES", "gthread uvicorn").split()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
RESULTS = REPO_ROOT / "bench" / "results"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Measurement:
    """Aggregated wrk figures for one scenario."""

    scenario: str
    rates: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0
    requests: int = 0

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, *, seconds: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    """Run wrk once and return its requests/s, p50, p99, requests and error count."""
    command = [ensure_command("wrk", package="wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    if not {"50", "99"} <= percentiles.keys():
        raise RuntimeError(f"wrk measured nothing at {url}:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _duration_ms(percentiles["50"]),
        "p99": _duration_ms(percentiles["99"]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "errors": errors,
    }


def bench_mode(mode: str) -> dict[str, Measurement]:
    """Start the stack with one worker class and measure both scenarios, interleaved."""
    environment = {"GUNICORN_WORKER_CLASS": mode, "GATEWAY_AUTH_RATE": "100r/s", "LOG_LEVEL": "WARNING"}
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as work,
        launched_stack(Path(work), db_suffix="_bench", environment=environment) as stack,
    ):
        email = f"bench-{time.time_ns()}@example.com"
        registered = requests.post(
            f"{stack.url}/auth/api/register/", json={"email": email, "password": "bench-passphrase-1"}, timeout=10
        )
        registered.raise_for_status()
        bearer = {"Authorization": f"Bearer {registered.json()['access']}"}
        scenarios = {
            "health GET": (f"{stack.url}/bank/health/", None),
            "authenticated GET (whoami)": (f"{stack.url}/bank/api/whoami/", bearer),
        }
        for url, headers in scenarios.values():
            wrk(url, seconds=2, headers=headers)  # warm-up: connections, imports, caches
        results = {name: Measurement(name) for name in scenarios}
        for round_number in range(ROUNDS):
            order = list(scenarios.items())
            for name, (url, headers) in order if round_number % 2 == 0 else reversed(order):
                figures = wrk(url, seconds=SECONDS, headers=headers)
                measurement = results[name]
                measurement.rates.append(figures["rate"])
                measurement.p50_ms.append(figures["p50"])
                measurement.p99_ms.append(figures["p99"])
                measurement.requests += int(figures["requests"])
                measurement.errors += int(figures["errors"])
        return results


def report(results: dict[str, dict[str, Measurement]]) -> str:
    """Return the Markdown report: one row per mode and scenario, then the ratios."""
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} x {SECONDS}s per scenario, interleaved; medians.",
        "",
        "| mode | scenario | requests/s | p50 ms | p99 ms | requests | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for mode, measurements in results.items():
        for m in measurements.values():
            lines.append(
                f"| {mode} | {m.scenario} | {m.rate:,.0f} | {statistics.median(m.p50_ms):.2f} | "
                f"{statistics.median(m.p99_ms):.2f} | {m.requests:,} | {m.errors} |"
            )
    lines += ["", "| ratio | value |", "|---|---:|"]
    for mode, measurements in results.items():
        health, whoami = measurements["health GET"], measurements["authenticated GET (whoami)"]
        lines.append(f"| {mode}: authenticated GET / health GET | {whoami.rate / health.rate:.2f} |")
    if "gthread" in results and "uvicorn" in results:
        for scenario in ("health GET", "authenticated GET (whoami)"):
            ratio = results["gthread"][scenario].rate / results["uvicorn"][scenario].rate
            lines.append(f"| {scenario}: gthread / uvicorn | {ratio:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    results = {mode: bench_mode(mode) for mode in MODES}
    text = report(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.md").write_text(f"# Serving benchmark ({time.strftime('%Y-%m-%d')})\n\n{text}")
    print(text)


if __name__ == "__main__":
    main()
