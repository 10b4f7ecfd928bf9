"""CPU time and memory of the processes that make up the stack, read from /proc while a scenario runs.

The stack is `python -m stack run` and every process descended from it (the gunicorn masters and
workers, the relays, consumers and reconcilers, nginx); PostgreSQL, which the machine runs for
everyone, is counted apart. Memory is the sum of each process's proportional set size (PSS), so pages that gunicorn's
workers share with their master are counted once, not once per process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from stack import processes
from stack.services import SERVICES

_SERVICE_OF_DIRECTORY = {service.directory: service.name for service in SERVICES}


def label(pid: int) -> str:
    """processes.label, with a service named as in the working tree even when its code lives elsewhere.

    A baseline stack runs from another folder, so its processes' directories are not the registry's
    and stack.processes names them by the directory ("bank_service web"): here they are "bank web".
    """
    found = processes.label(pid)
    directory, _, rest = found.partition(" ")
    return f"{_SERVICE_OF_DIRECTORY[directory]} {rest}" if directory in _SERVICE_OF_DIRECTORY and rest else found


def _groups(runner: int) -> dict[int, tuple[str, float]]:
    """The runner and its descendants ("stack"), and PostgreSQL's processes: pid -> (group, CPU seconds)."""
    found = {pid: ("stack", cpu) for pid, (_, cpu) in processes.tree(runner).items()}
    found.update({pid: ("postgres", cpu) for pid, cpu in processes.postgres().items()})
    return found


@dataclass
class Usage:
    """What the stack and PostgreSQL used while a scenario ran."""

    seconds: float
    stack_cpu_seconds: float
    postgres_cpu_seconds: float
    stack_peak_mib: float
    # CPU seconds per kind of process (label()), PostgreSQL's as "PostgreSQL".
    by_process: dict[str, float] = field(default_factory=dict)

    @property
    def stack_cores(self) -> float:
        return self.stack_cpu_seconds / self.seconds

    @property
    def postgres_cores(self) -> float:
        return self.postgres_cpu_seconds / self.seconds


class Sampler:
    """Measure CPU seconds (first to last reading) and peak PSS of the stack, sampling every `interval`.

    Use as a context manager around a scenario; `usage` holds the figures afterwards.
    """

    def __init__(self, runner: int, *, interval: float = 0.25) -> None:
        self.runner = runner
        self.interval = interval
        self._first: dict[int, tuple[str, float]] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._peak_kib = 0
        self._labels: dict[int, str] = {}
        self._started = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.usage: Usage | None = None

    def _sample(self) -> None:
        groups = _groups(self.runner)
        for pid, value in groups.items():
            self._first.setdefault(pid, (value[0], 0.0 if self._started else value[1]))
            if pid not in self._labels:
                self._labels[pid] = "PostgreSQL" if value[0] == "postgres" else label(pid)
        self._last.update(groups)
        memory = sum(processes.pss_kib(pid) for pid, (group, _) in groups.items() if group == "stack")
        self._peak_kib = max(self._peak_kib, memory)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> Sampler:
        self._sample()  # the processes running at the start: count from their CPU time now
        self._started = True  # a process that starts later (a respawned worker) counts from zero
        self._began = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        spent = {"stack": 0.0, "postgres": 0.0}
        by_process: dict[str, float] = {}
        for pid, (group, cpu) in self._last.items():
            spent[group] += cpu - self._first[pid][1]
            name = self._labels[pid]
            by_process[name] = by_process.get(name, 0.0) + cpu - self._first[pid][1]
        self.usage = Usage(
            seconds=time.monotonic() - self._began,
            stack_cpu_seconds=spent["stack"],
            postgres_cpu_seconds=spent["postgres"],
            stack_peak_mib=self._peak_kib / 1024,
            by_process=by_process,
        )


def resident_mib(runner: int) -> float:
    """The stack's memory (sum of PSS) now."""
    return sum(processes.pss_kib(pid) for pid, (group, _) in _groups(runner).items() if group == "stack") / 1024
