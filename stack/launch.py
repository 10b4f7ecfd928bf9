"""Start the native stack as a child process on free ports, with its own databases and keys.

Used by the end-to-end tests and the benchmarks, so both drive exactly what `make run` starts.
"""

from __future__ import annotations

import os
import random
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from servicekit.keys import write_keypair
from stack.ports import block_size, layout, pgbouncer_wanted
from stack.services import REPO_ROOT, SERVICES


@dataclass(frozen=True)
class LaunchedStack:
    """A running stack: its gateway URL, its folders and its key pair."""

    url: str
    work_dir: Path
    environment: dict[str, str]
    service_ports: dict[str, int]  # service -> its first replica's port
    root: Path = REPO_ROOT  # the checkout whose code the stack runs
    replica_ports: dict[str, tuple[int, ...]] = field(default_factory=dict)  # service -> every replica's port
    pgbouncer_port: int | None = None

    def replica_urls(self, name: str) -> list[str]:
        """Every replica of a service, at its own address (not through the gateway)."""
        return [f"http://127.0.0.1:{port}" for port in self.replica_ports.get(name) or (self.service_ports[name],)]

    def service_url(self, name: str) -> str:
        """A service's own address, as other services reach it (not through the gateway)."""
        return f"http://127.0.0.1:{self.service_ports[name]}"

    def manage(self, service: str, *arguments: str) -> str:
        """Run a manage.py command of a service with the stack's environment; return its output."""
        directory = self.root / next(candidate for candidate in SERVICES if candidate.name == service).directory
        environment = {**self.environment, "DATABASE_URL": self._database_url(service)}
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=directory, env=environment,
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return result.stdout

    def _database_url(self, service: str) -> str:
        from stack import db

        return db.database_url(
            next(s for s in SERVICES if s.name == service), suffix=self.environment["STACK_DB_SUFFIX"]
        )

    @property
    def run_dir(self) -> Path:
        return self.work_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "logs"

    @property
    def private_key(self) -> bytes:
        return Path(self.environment["JWT_PRIVATE_KEY_FILE"]).read_bytes()

    @property
    def public_key(self) -> bytes:
        return Path(self.environment["JWT_PUBLIC_KEY_FILE"]).read_bytes()

    def access_log(self) -> list[str]:
        return (self.run_dir / "access.log").read_text().splitlines()

    def service_log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()


def _ephemeral_ports() -> tuple[int, int]:
    """The range the kernel draws the local ports of outgoing connections from."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port_block(size: int) -> int:
    """Return the first port of `size` consecutive free ports on 127.0.0.1.

    The block lies below the ephemeral range: the stack binds these ports only after migrating,
    and meanwhile any outgoing connection (to PostgreSQL, the broker) could be given one of the
    ephemeral range as its local port, and the service on it would fail to start.
    """
    low, _ = _ephemeral_ports()
    first, last = (10000, low - size) if low - size > 10000 else (low, 65000 - size)
    for _ in range(200):
        base = random.randint(first, last)  # noqa: S311 - a port number, not a secret
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + size):
                candidate = socket.socket()
                sockets.append(candidate)
                candidate.bind(("127.0.0.1", port))
        except OSError:
            continue
        else:
            return base
        finally:
            for candidate in sockets:
                candidate.close()
    raise RuntimeError("no block of free ports found")


LIFTED_LIMITS = {
    "GATEWAY_READ_RATE": "100000r/s",
    "GATEWAY_READ_BURST": "100000",
    "GATEWAY_WRITE_RATE": "100000r/s",
    "GATEWAY_WRITE_BURST": "100000",
    "GATEWAY_CONNECTIONS_PER_CLIENT": "10000",
}


def code_environment(root: Path) -> dict[str, str]:
    """What makes Python processes started in another checkout `root` import its stack and servicekit first."""
    if root == REPO_ROOT:
        return {}
    inherited = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join([str(root / "servicekit"), str(root), *([inherited] if inherited else [])])}


@contextmanager
def launched_stack(
    work_dir: Path,
    *,
    db_suffix: str,
    environment: dict[str, str] | None = None,
    timeout: float = 180,
    root: Path = REPO_ROOT,
    replicas: int = 1,
    pgbouncer: bool | None = None,
) -> Iterator[LaunchedStack]:
    """Run `python -m stack run` on free ports with fresh databases; stop it on exit.

    `root` is the checkout whose code runs (another revision's worktree, for the benchmark's
    baseline): its own `python -m stack run`, with its servicekit first on PYTHONPATH, on this venv.
    `replicas`: gunicorn instances and background processes per service; `pgbouncer`: PgBouncer
    between the services and PostgreSQL (None: with more than one replica).
    """
    private_path, public_path = write_keypair(work_dir / "keys")
    pooled = pgbouncer_wanted(replicas, "auto" if pgbouncer is None else str(int(pgbouncer)))
    base = free_port_block(1 + block_size(replicas, pgbouncer=pooled))
    env = {
        **os.environ,
        "APP_ENV": "development",
        "JWT_PRIVATE_KEY_FILE": str(private_path),
        "JWT_PUBLIC_KEY_FILE": str(public_path),
        "STACK_DB_SUFFIX": db_suffix,
        # The services' development secret keys derive from a file of this stack's own, as its key
        # pair is its own: a test never uses, nor creates, the checkout's.
        "DEVELOPMENT_SECRET_FILE": str(work_dir / "keys" / "development_secret"),
        # Tests and benchmarks send everything from 127.0.0.1: the per-address limits are lifted
        # unless the caller sets them (the gateway tests check them on a gateway of their own).
        **LIFTED_LIMITS,
        **(environment or {}),
        **code_environment(root),
        # As variables, not options: a baseline checkout's `stack run` without replicas ignores them.
        "REPLICAS": str(replicas),
        "PGBOUNCER": str(int(pooled)),
    }
    command = [
        sys.executable, "-m", "stack", "run", "--fresh", "--db-suffix", db_suffix,
        "--gateway-port", str(base), "--base-port", str(base + 1),
        "--run-dir", str(work_dir / "run"), "--log-dir", str(work_dir / "logs"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, bufsize=0,  # unbuffered, so select() sees every line
    )  # fmt: skip
    try:
        _wait_for_ready_line(process, timeout=timeout)
        ports = layout(base + 1, replicas=replicas, pgbouncer=pooled)
        yield LaunchedStack(
            url=f"http://127.0.0.1:{base}", work_dir=work_dir, environment=env, service_ports=ports.first, root=root,
            replica_ports=ports.replicas, pgbouncer_port=ports.pgbouncer,
        )  # fmt: skip
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for_ready_line(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the stack did not start:\n" + "".join(output))
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline().decode()
            output.append(line)
            if line.startswith("STACK READY"):
                return
