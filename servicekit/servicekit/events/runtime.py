"""Running the relay and the consumers: one back-off for both, stopping on a signal, waiting in tests.

A relay or a consumer is a long-running loop that must outlive a broker restart or a database
failover: `Backoff.run` calls its step again and again, waiting ever longer (up to a ceiling)
after each failure, and starting over from the shortest wait once a step gets through.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from servicekit.waiting import poll_until

logger = logging.getLogger(__name__)


class Backoff:
    """Growing waits between failed attempts of one worker: `start`, doubled each time, at most `ceiling`."""

    def __init__(self, worker: str, *, start: float = 0.5, ceiling: float = 30.0) -> None:
        self.worker = worker
        self.start = start
        self.ceiling = ceiling
        self.failures = 0

    def delay(self) -> float:
        """The wait after the next failure."""
        return float(min(self.ceiling, self.start * 2 ** min(self.failures, 16)))

    def reset(self) -> None:
        """The worker got through: the next failure waits the shortest time again."""
        self.failures = 0

    def failed(self, error: BaseException, stop: threading.Event) -> None:
        """Note a failure, say so, let go of the database connection, and wait (less if `stop` is set)."""
        delay = self.delay()
        self.failures += 1
        logger.warning(
            f"{self.worker}: broker or database unavailable, retrying",
            extra={"error": type(error).__name__, "delay": delay},
        )
        close_old_connections()
        stop.wait(delay)

    def run(self, step: Callable[[], object], stop: threading.Event) -> None:
        """Call `step` until `stop` is set; after a failure, wait and call it again (never die of one).

        The step calls `reset` once it got through (a batch published, a consumer connected).
        """
        while not stop.is_set():
            try:
                step()
            except Exception as error:  # broker or database away: back off, never die
                self.failed(error, stop)


def run_until_signalled(target: Callable[[threading.Event], None]) -> None:
    """Run a relay or consumer loop until SIGTERM or SIGINT."""
    import signal

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    target(stop)


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass, and say which (for tests and tools).

    `servicekit.waiting.poll_until` does the waiting; this answers False where it would raise.
    """
    try:
        return bool(poll_until(predicate, timeout=timeout, interval=interval))
    except TimeoutError:
        return False
