"""The processes `python -m stack run` starts, and keeps: the web servers and nginx for as long as the
stack runs, the relays, consumers and reconcilers (and, with replicas, the web servers) started again
whenever one exits."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1
BACKGROUND_NICENESS = int(os.environ.get("STACK_BACKGROUND_NICENESS", "10"))


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this child if the stack runner dies, even by SIGKILL."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _background_child() -> None:
    """A service's background process (relay, consumer, reconcilers): dies with the runner, yields the CPU to requests.

    On one machine, work that can wait (publishing events, sending emails, reconciling) runs at a
    lower priority than the web workers, so a burst of requests is not slowed down by it; the
    events catch up as soon as the burst is over.
    """
    _die_with_parent()
    os.nice(BACKGROUND_NICENESS)


def reconcile_interval(name: str, command: tuple[str, ...]) -> list[str]:
    """A background command with the reconcilers' interval from RECONCILE_EVERY_SECONDS, when that is set.

    The reconcilers run every 30 s; a test that checks they finish what a fault left half-way
    asks for shorter rounds, on the very processes the stack runs: a reconciler of its own
    (`reconcile_orders --every 30`, a process named `*-reconciler`) or a part of `run_workers`
    (`reconcile_orders:30`). Other periodic jobs (the reservation expirer) keep their interval.
    """
    every = os.environ.get("RECONCILE_EVERY_SECONDS", "").strip()
    if not every:
        return list(command)
    if name.endswith("-reconciler") and "--every" in command:
        position = command.index("--every") + 1
        return [*command[:position], every, *command[position + 1 :]]
    return [
        f"{word.partition(':')[0]}:{every}" if word.startswith("reconcile_") and ":" in word else word
        for word in command
    ]


@dataclass
class Restartable:
    """A process of the stack that is started again when it exits, after a growing pause.

    A relay, consumer or reconciler, at a lower priority (`niced`); or, with replicas, one replica
    of a service's web server, at the web servers' priority.
    """

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    niced: bool = True
    exits: int = 0  # in a row: one that had run for a minute starts the count again
    started_at: float = 0.0
    start_at: float = 0.0

    def exited(self) -> float:
        """Count an exit; return the pause before the next start (1, 2, 4 ... 30 s)."""
        now = time.monotonic()
        self.exits = 1 if now - self.started_at > 60 else self.exits + 1
        delay = float(min(30, 2 ** (self.exits - 1)))
        self.start_at = now + delay
        return delay

    def due(self) -> bool:
        return time.monotonic() >= self.start_at


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every started process: SIGTERM, then SIGKILL after a grace period."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Supervisor:
    """Starts the stack's processes, each in a session of its own; stops them all when the block ends.

    A foreground process (a gunicorn master, nginx) that exits stops the stack; a background one
    (relay, consumer, reconciler) is started again, as compose's `restart: unless-stopped` does.
    With `log_dir`, each process's output goes to `<name>.log` there, else to the terminal.
    """

    def __init__(self, log_dir: Path | None) -> None:
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.restartable: dict[int, Restartable] = {}  # pid -> what to start again when it exits
        self.waiting: list[Restartable] = []  # exited, to be started again once due
        self._logs: dict[str, IO[bytes]] = {}

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.processes)
        for handle in self._logs.values():
            handle.close()

    def _output(self, name: str) -> IO[bytes] | None:
        """The log file of `name`, opened once: a process started again appends to the same handle."""
        if self.log_dir is None:
            return None
        if name not in self._logs:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._logs[name] = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed on exit
        return self._logs[name]

    def start(self, name: str, command: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        """Start a foreground process: the stack cannot go on without it."""
        self._spawn(name, command, cwd=cwd, env=env, background=False)

    def start_background(self, worker: Restartable) -> None:
        """Start (or start again) a relay, consumer or reconciler, or a web replica."""
        process = self._spawn(worker.name, worker.command, cwd=worker.cwd, env=worker.env, background=worker.niced)
        self.restartable[process.pid] = worker
        worker.started_at = time.monotonic()

    def _spawn(
        self, name: str, command: list[str], *, cwd: Path, env: dict[str, str], background: bool
    ) -> subprocess.Popen[bytes]:
        log = self._output(name)
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            start_new_session=True,
            preexec_fn=_background_child if background else _die_with_parent,
        )
        self.processes.append(process)
        return process

    def check_foreground(self) -> None:
        """SystemExit if a foreground process has exited."""
        for process in self.processes:
            if process.pid not in self.restartable and process.poll() is not None:
                raise SystemExit(f"a process exited during start-up: {process.args!r}")

    def tend(self) -> None:
        """One round: stop on a foreground exit, count background exits, start again those that are due."""
        for process in [process for process in self.processes if process.poll() is not None]:
            worker = self.restartable.pop(process.pid, None)
            if worker is None:  # a gunicorn master or nginx: the stack cannot go on without it
                raise SystemExit(f"stopping: {process.args!r} exited with {process.returncode}")
            self.processes.remove(process)
            delay = worker.exited()
            print(f"{worker.name} exited with {process.returncode}; starting it again in {delay:.0f} s", flush=True)
            self.waiting.append(worker)
        for worker in [worker for worker in self.waiting if worker.due()]:
            self.waiting.remove(worker)
            self.start_background(worker)

    def keep_running(self, *, every: float = 0.5) -> None:
        """Tend the processes until interrupted (or until a foreground one exits)."""
        while True:
            time.sleep(every)
            self.tend()
