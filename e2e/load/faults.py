"""What the load and fault tests do to a running stack: gunicorn workers killed mid-request, PostgreSQL
restarted (with pg_ctlcluster, where this machine has it), the broker cut off behind a proxy."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.parse

from servicekit.waiting import poll_until
from stack import db
from stack.processes import StackProcesses


def kill_workers(processes: StackProcesses, services: tuple[str, ...]) -> dict[str, list[int]]:
    """SIGKILL every gunicorn worker of `services` at once; return the pids killed."""
    killed = {name: processes.workers(name) for name in services}
    for pids in killed.values():
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    return killed


def wait_for_replacements(
    processes: StackProcesses, killed: dict[str, list[int]], *, workers: int, timeout: float
) -> None:
    """Until each service has `workers` workers again, none of them one that was killed."""
    for name, old in killed.items():

        def replaced(name: str = name, old: list[int] = old) -> bool:
            current = processes.workers(name)
            return len(current) >= workers and not set(current) & set(old)

        poll_until(replaced, timeout=timeout, message=f"{name}'s workers to replace {old}")


def proxied(url: str, port: int) -> str:
    """`url` (credentials kept) pointed at a proxy on 127.0.0.1:`port` instead of its own host."""
    parts = urllib.parse.urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{port}"))


def postgresql_cluster() -> tuple[str, str] | None:
    """The pg_ctlcluster version and name of the cluster the stack's databases are on, if there is one here."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return None
    port = urllib.parse.urlsplit(db.admin_url()).port or 5432
    for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    return None


def pg_ctl(cluster: tuple[str, str], action: str, *options: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action, *options],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def make_sure_postgresql_runs(cluster: tuple[str, str]) -> None:
    """Start the cluster if it is not online (whatever happened to the test, others need it)."""
    for _ in range(5):
        status = subprocess.run(["pg_lsclusters", "-h", *cluster], capture_output=True, text=True).stdout.split()
        if len(status) > 3 and status[3] == "online":
            return
        with contextlib.suppress(subprocess.SubprocessError):
            pg_ctl(cluster, "start")
        time.sleep(1)


def restart_postgresql(cluster: tuple[str, str], *, down_for: float = 3) -> None:
    """Stop the cluster (fast: every connection is cut), wait `down_for` s, start it again."""
    try:
        pg_ctl(cluster, "stop", "-m", "fast")
        time.sleep(down_for)
        pg_ctl(cluster, "start")
    finally:
        make_sure_postgresql_runs(cluster)
