"""Whether a running stack is ready: each service's `/<prefix>/ready/` through the gateway.

One wait for `python -m stack run`, the tests and the benchmarks, and a watch that keeps asking
while a test injects a fault, to tell when each service stopped and started answering 200 again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from servicekit.waiting import poll_until
from stack.services import SERVICES

SERVICE_NAMES = tuple(service.name for service in SERVICES)


@dataclass(frozen=True)
class Probe:
    """One answer of a service's /ready/: when it was asked, its status (None: no answer), its checks."""

    moment: float
    service: str
    status: int | None
    checks: dict[str, str] = field(default_factory=dict)


def probe(session: requests.Session, base_url: str, name: str, *, timeout: float = 10) -> Probe:
    """Ask one service's /ready/ through the gateway (`name` "gateway": the gateway's own /health)."""
    moment = time.monotonic()
    url = f"{base_url}/health" if name == "gateway" else f"{base_url}/{name}/ready/"
    try:
        response = session.get(url, timeout=timeout)
    except requests.RequestException:
        return Probe(moment, name, None)
    try:
        body = response.json()
        checks = dict(body.get("checks", {})) if isinstance(body, dict) else {}
    except ValueError:
        checks = {}
    return Probe(moment, name, response.status_code, checks)


def wait_until_ready(
    base_url: str,
    *,
    timeout: float,
    names: tuple[str, ...] = SERVICE_NAMES,
    interval: float = 0.05,
    still_running: Callable[[], None] | None = None,
) -> float:
    """Ask every named service's /ready/ at once until each has answered 200; return when the last did.

    `still_running`, called between tries, raises to stop the wait (a process of the stack exited,
    say); a service that does not answer 200 within `timeout` s is a TimeoutError that names it.
    """

    def one(name: str) -> float:
        session = requests.Session()

        def ready() -> float | None:
            if still_running is not None:
                still_running()
            return time.monotonic() if probe(session, base_url, name).status == 200 else None

        with session:
            return poll_until(ready, timeout=timeout, interval=interval, message=f"{name} to be ready")

    with ThreadPoolExecutor(len(names)) as pool:
        return max(pool.map(one, names))


class ReadinessWatch:
    """Asks every service's /ready/ through the gateway, over and over, in threads of its own."""

    def __init__(self, base_url: str, *, interval: float = 0.2, names: tuple[str, ...] = SERVICE_NAMES) -> None:
        self.base_url = base_url
        self.interval = interval
        self.names = names
        self.probes: list[Probe] = []
        self._stop = threading.Event()
        # One thread per service: a check that waits for a dead dependency delays no other.
        self._threads = [threading.Thread(target=self._run, args=(name,), daemon=True) for name in names]

    def __enter__(self) -> ReadinessWatch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, name: str) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                self.probes.append(probe(session, self.base_url, name))
                self._stop.wait(self.interval)

    def not_ready(self, start: float, end: float) -> dict[str, list[Probe]]:
        """Per service, the probes between `start` and `end` that did not answer 200."""
        found: dict[str, list[Probe]] = {name: [] for name in self.names}
        for sample in self.probes:
            if start <= sample.moment <= end and sample.status != 200:
                found[sample.service].append(sample)
        return found
