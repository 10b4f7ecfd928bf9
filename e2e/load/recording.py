"""Every HTTP request the load's clients sent, when, in which phase, and the faults' windows.

Every attempt is recorded with the times it was sent and answered, so that a 5xx can be placed
inside or outside a fault's window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def now() -> float:
    return time.monotonic()


@dataclass(frozen=True)
class Attempt:
    """One HTTP request as a client sent it: when, in which phase, and what came back."""

    phase: str
    operation: str
    sent: float
    answered: float
    status: int | None  # None: no answer (timeout, connection refused or reset)
    code: str = ""  # the error code of a 4xx/5xx body, or the exception's name
    retry: bool = False  # a resend of an earlier attempt, with the same key

    @property
    def failed(self) -> bool:
        """A 5xx or no answer at all: what a client retries."""
        return self.status is None or self.status >= 500

    @property
    def in_progress(self) -> bool:
        return self.status == 409 and self.code == "idempotency_in_progress"


@dataclass
class Fault:
    """A fault's window: from the moment it was injected until everything was ready again."""

    name: str
    started: float
    ended: float = 0.0  # the dependency was given back (the same as started for a kill)
    recovered: float = 0.0  # every service answered /ready/ with 200 again
    notes: dict[str, Any] = field(default_factory=dict)

    def covers(self, attempt: Attempt) -> bool:
        """Whether the attempt was in flight during the window (sent before its end, answered after its start)."""
        return attempt.sent <= (self.recovered or float("inf")) and attempt.answered >= self.started


class Recorder:
    """Every attempt of every client, the current phase, and the faults' windows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.phase = "setup"
        self.phases: dict[str, tuple[float, float]] = {}
        self.faults: list[Fault] = []

    def add(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)

    @contextmanager
    def in_phase(self, name: str) -> Iterator[None]:
        self.phase = name
        started = now()
        try:
            yield
        finally:
            self.phases[name] = (started, now())

    def fault(self, name: str) -> Fault:
        fault = Fault(name, started=now())
        self.faults.append(fault)
        return fault

    def of_phase(self, phase: str) -> list[Attempt]:
        with self._lock:
            return [attempt for attempt in self.attempts if attempt.phase == phase]

    def failures_outside_faults(self, phase: str | None = None) -> list[Attempt]:
        """5xx or unanswered attempts that were not in flight during any fault's window: each one is a bug."""
        attempts = self.of_phase(phase) if phase else list(self.attempts)
        return [
            attempt
            for attempt in attempts
            if attempt.failed and not any(fault.covers(attempt) for fault in self.faults)
        ]
