"""The processes of a running native stack, read from /proc: who they are and how much CPU they used."""

from __future__ import annotations

import os
from pathlib import Path

from stack.services import SERVICES

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds used) of a process, or None if it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def pids() -> list[int]:
    """Every process's pid."""
    return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]


def runner_of(run_dir: Path) -> int:
    """The pid of the `python -m stack run` that was started with `--run-dir run_dir`."""
    for pid in pids():
        try:
            arguments = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--run-dir" in arguments and arguments[arguments.index(b"--run-dir") + 1] == str(run_dir).encode():
            return pid
    raise LookupError(f"no stack runner with --run-dir {run_dir}")


def label(pid: int) -> str:
    """What a process of the stack is: "orders web" (gunicorn), "bank relay_events", "nginx"."""
    try:
        arguments = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        directory = Path(os.readlink(_PROC / str(pid) / "cwd"))
    except OSError:
        return "gone"
    words = [word.decode(errors="replace") for word in arguments if word]
    service = next((s.name for s in SERVICES if s.path == directory), directory.name)
    if any("gunicorn" in word for word in words):
        return f"{service} web"
    if "manage.py" in words and words.index("manage.py") + 1 < len(words):
        return f"{service} {words[words.index('manage.py') + 1]}"
    if words and words[0].startswith("nginx"):
        return "nginx"
    return Path(words[0]).name if words else "?"


def tree(runner: int) -> dict[int, tuple[int, float]]:
    """The runner and every process descended from it: pid -> (parent pid, CPU seconds used)."""
    stats = {pid: found for pid in pids() if (found := stat(pid)) is not None}
    children: dict[int, list[int]] = {}
    for pid, (_, parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    members = {}
    pending = [runner]
    while pending:
        pid = pending.pop()
        if pid in stats:
            members[pid] = (stats[pid][1], stats[pid][2])
        pending += children.get(pid, [])
    return members


def gunicorn_workers(runner: int, service: str) -> list[int]:
    """The pids of a service's gunicorn workers in the stack (the children of its gunicorn master)."""
    web = {pid: parent for pid, (parent, _) in tree(runner).items() if label(pid) == f"{service} web"}
    return [pid for pid, parent in web.items() if parent in web]
