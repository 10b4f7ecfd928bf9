"""The processes of a running native stack, read from /proc: who they are, what they use, who started them.

The one reader of /proc for the stack's tooling: the tests find the workers they kill here, the
benchmarks the CPU time and memory they report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stack.services import SERVICES

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    """What /proc/<pid>/stat says of a process."""

    name: str  # the command name, as `ps -o comm` shows it
    state: str  # "R", "S", ... "Z" for a zombie
    parent: int
    cpu_seconds: float  # user + system time


def parse_stat(text: str) -> Stat:
    """Read one stat line; the command name may hold spaces and parentheses, so it is cut at the last `)`."""
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return Stat(name, fields[0], int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)


def stat(pid: int) -> Stat | None:
    """The process's stat line, or None if it is gone."""
    try:
        return parse_stat((_PROC / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def pids() -> list[int]:
    """Every process's pid."""
    return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]


def cmdline(pid: int) -> list[str]:
    """A process's command line, word by word (empty if it is gone)."""
    try:
        arguments = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    return [word.decode(errors="replace") for word in arguments if word]


def cwd(pid: int) -> Path | None:
    """A process's working directory, or None if it is gone."""
    try:
        return Path(os.readlink(_PROC / str(pid) / "cwd"))
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not)."""
    found = stat(pid)
    return found is not None and found.state != "Z"


def pss_kib(pid: int) -> int:
    """A process's proportional set size: pages shared with others count in part (0 if it is gone)."""
    try:
        for line in (_PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The pids of a process's children."""
    try:
        return [int(child) for child in (_PROC / str(pid) / "task" / str(pid) / "children").read_text().split()]
    except OSError:  # a kernel without that file: every process's parent, from its stat line
        return [child for child, found in _stats().items() if found.parent == pid]


def _stats() -> dict[int, Stat]:
    return {pid: found for pid in pids() if (found := stat(pid)) is not None}


def runner_of(run_dir: Path) -> int:
    """The pid of the `python -m stack run` that was started with `--run-dir run_dir`."""
    for pid in pids():
        arguments = cmdline(pid)
        if "--run-dir" in arguments[:-1] and arguments[arguments.index("--run-dir") + 1] == str(run_dir):
            return pid
    raise LookupError(f"no stack runner with --run-dir {run_dir}")


def service_of(directory: Path | None) -> str:
    """The service whose project is `directory` (or the directory's name)."""
    return next((s.name for s in SERVICES if s.path == directory), directory.name if directory else "?")


def label(pid: int) -> str:
    """What a process of the stack is: "orders web" (gunicorn), "bank relay_events", "nginx"."""
    words, directory = cmdline(pid), cwd(pid)
    if directory is None:
        return "gone"
    if not words:
        return "?"
    service = service_of(directory)
    if any("gunicorn" in word for word in words):
        return f"{service} web"
    if "manage.py" in words and words.index("manage.py") + 1 < len(words):
        return f"{service} {words[words.index('manage.py') + 1]}"
    if words[0].startswith("nginx"):
        return "nginx"
    return Path(words[0]).name


def tree(runner: int) -> dict[int, tuple[int, float]]:
    """The runner and every process descended from it: pid -> (parent pid, CPU seconds used)."""
    stats = _stats()
    offspring: dict[int, list[int]] = {}
    for pid, found in stats.items():
        offspring.setdefault(found.parent, []).append(pid)
    members = {}
    pending = [runner]
    while pending:
        pid = pending.pop()
        if pid in stats:
            members[pid] = (stats[pid].parent, stats[pid].cpu_seconds)
        pending += offspring.get(pid, [])
    return members


def postgres() -> dict[int, float]:
    """PostgreSQL's processes on this machine (it serves every stack): pid -> CPU seconds used."""
    return {
        pid: found.cpu_seconds
        for pid, found in _stats().items()
        if found.name == "postgres" or found.name.startswith("postgres:")
    }


def gunicorn_workers(runner: int, service: str) -> list[int]:
    """The pids of a service's gunicorn workers in the stack (the children of its gunicorn master)."""
    web = {pid: parent for pid, (parent, _) in tree(runner).items() if label(pid) == f"{service} web"}
    return [pid for pid, parent in web.items() if parent in web]


@dataclass(frozen=True)
class StackProcesses:
    """The runner of one `python -m stack run`, and the long-running processes it started."""

    runner: int
    gunicorn_masters: dict[str, int]  # service -> master pid (of its first replica found)
    background: dict[int, str]  # relays, consumers, reconcilers: pid -> command
    replicas: dict[str, list[int]] = field(default_factory=dict)  # service -> every replica's master pid

    @classmethod
    def find(cls, run_dir: Path) -> StackProcesses:
        """The processes of the stack started with `--run-dir run_dir`, as they are now."""
        runner = runner_of(run_dir)
        replicas: dict[str, list[int]] = {}
        background: dict[int, str] = {}
        for child in sorted(children(runner)):
            command = cmdline(child)
            if any("gunicorn" in word for word in command):
                replicas.setdefault(service_of(cwd(child)), []).append(child)
            elif "manage.py" in command:
                background[child] = " ".join(command[command.index("manage.py") + 1 :])
        return cls(runner, {name: pids[0] for name, pids in replicas.items()}, background, replicas)

    def workers(self, service: str) -> list[int]:
        """The live gunicorn workers of a service."""
        return [pid for pid in children(self.gunicorn_masters[service]) if alive(pid)]

    def dead(self) -> list[str]:
        """The long-running processes found at the start that are gone now (none, if nothing was restarted)."""
        dead = [f"gunicorn master of {name}" for name, pid in self.gunicorn_masters.items() if not alive(pid)]
        dead += [command for pid, command in self.background.items() if not alive(pid)]
        return dead
