"""wrk, run once per measurement, and the figures of one scenario over every round."""

from __future__ import annotations

import re
import statistics
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench import stackstats
from bench.settings import CONNECTIONS
from stack.gateway import ensure_command

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
    stack_cores: list[float] = field(default_factory=list)
    postgres_cores: list[float] = field(default_factory=list)
    peak_mib: float = 0.0
    cpu_by_process: dict[str, float] = field(default_factory=dict)  # CPU seconds over every round
    # For a scenario that writes events: requests/s counted until the last one's event was delivered.
    delivered_rates: list[float] = field(default_factory=list)

    def add(self, figures: dict[str, float], usage: stackstats.Usage | None) -> None:
        """One round's wrk figures and what the stack used meanwhile."""
        self.rates.append(figures["rate"])
        self.p50_ms.append(figures["p50"])
        self.p99_ms.append(figures["p99"])
        self.requests += int(figures["requests"])
        self.errors += int(figures["errors"])
        if usage is not None:
            self.stack_cores.append(usage.stack_cores)
            self.postgres_cores.append(usage.postgres_cores)
            self.peak_mib = max(self.peak_mib, usage.stack_peak_mib)
            for name, seconds in usage.by_process.items():
                self.cpu_by_process[name] = self.cpu_by_process.get(name, 0.0) + seconds

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def duration_ms(text: str) -> float:
    """A wrk duration ("812.00us", "3.21ms", "1.02s") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str, url: str) -> dict[str, float]:
    """wrk's requests/s, p50, p99, requests and error count, from what it printed."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    rate, requests = re.search(r"Requests/sec:\s+([\d.]+)", output), re.search(r"(\d+) requests in", output)
    if not {"50", "99"} <= percentiles.keys() or rate is None or requests is None:
        raise RuntimeError(f"wrk measured nothing at {url}:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return {
        "rate": float(rate.group(1)),
        "p50": duration_ms(percentiles["50"]),
        "p99": duration_ms(percentiles["99"]),
        "requests": int(requests.group(1)),
        "errors": errors,
    }


def wrk(
    url: str, *, seconds: int, headers: dict[str, str] | None = None, script: Path | None = None
) -> dict[str, float]:
    """Run wrk once and return its requests/s, p50, p99, requests and error count."""
    # A 10 s timeout: a sign-in (a deliberately slow password hash) queued behind 31 others takes seconds.
    command = [ensure_command("wrk", package="wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    arguments = [url, "--", uuid.uuid4().hex] if script is not None else [url]
    output = subprocess.run([*command, *arguments], capture_output=True, text=True, check=True).stdout
    return parse(output, url)
