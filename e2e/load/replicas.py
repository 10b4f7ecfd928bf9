"""Faults of a stack with replicas: one replica of a web service, or one relay, killed outright.

A replica's gunicorn master and its workers share a process group (the supervisor starts each
process in a session of its own): SIGKILL to the group takes the whole replica down at once, as
a crashed machine would, and the supervisor starts it again on its port.
"""

from __future__ import annotations

import os
import signal

from servicekit.waiting import poll_until
from stack.launch import LaunchedStack
from stack.processes import StackProcesses, alive, label
from stack.readiness import wait_until_ready


def kill_replica(processes: StackProcesses, service: str) -> int:
    """SIGKILL the first replica of `service`, master and workers at once; return its master's pid."""
    master = processes.replicas[service][0]
    os.killpg(master, signal.SIGKILL)
    return master


def kill_relay(processes: StackProcesses, service: str) -> int:
    """SIGKILL one of `service`'s background processes that runs a relay; return its pid."""
    relays = [pid for pid, command in processes.background.items() if "relay_events" in command]
    pid = next(pid for pid in relays if label(pid).startswith(f"{service} "))
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_for_restarts(stack: LaunchedStack, before: StackProcesses, killed: list[int], *, timeout: float) -> None:
    """Until the stack runs as many replicas and background processes as `before`, none of them a killed
    one, and every replica of every service answers /ready/ on its own port."""

    def restarted() -> bool:
        now = StackProcesses.find(stack.run_dir)
        running = [pid for pids in now.replicas.values() for pid in pids] + list(now.background)
        return (
            {name: len(pids) for name, pids in now.replicas.items()}
            == {name: len(pids) for name, pids in before.replicas.items()}
            and len(now.background) == len(before.background)
            and not set(running) & set(killed)
            and all(alive(pid) for pid in running)
        )

    poll_until(restarted, timeout=timeout, interval=0.2, message=f"the killed processes {killed} to be started again")
    for service, ports in stack.replica_ports.items():
        for port in ports:
            wait_until_ready(f"http://127.0.0.1:{port}", timeout=timeout, names=(service,))
