"""What the stacks' figures are compared with, measured once in the same run: pgbench's TPC-B on the
same PostgreSQL, and a bare DRF endpoint on the working tree's gunicorn settings."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from bench.settings import PGBENCH_CLIENTS, REPO_ROOT, ROUNDS, SECONDS, SUFFIX
from bench.wrk import Measurement, wrk
from servicekit.testing import serving
from stack import db
from stack.gateway import ensure_command
from stack.launch import free_port_block

PGBENCH_DATABASE = "bench_pgbench" if SUFFIX == "_bench" else f"bench_pgbench{SUFFIX}"
BARE_SCENARIO = "bare DRF GET, direct to gunicorn (reference)"


def pgbench_database() -> tuple[str, str]:
    """A scratch database initialised for TPC-B (scale 4) on the same PostgreSQL; return pgbench and its URL."""
    pgbench = ensure_command("pgbench", package="postgresql-client")
    admin = db.admin_url()
    base = admin.rsplit("/", 1)[0]
    name = sql.Identifier(PGBENCH_DATABASE)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    target = f"{base}/{PGBENCH_DATABASE}"
    subprocess.run([pgbench, "-i", "-q", "-s", "4", target], check=True, capture_output=True)
    return pgbench, target


def pgbench_run(pgbench: str, target: str, seconds: int) -> float:
    """TPC-B (pgbench's built-in script) for `seconds` on an initialised database: its tps."""
    output = subprocess.run(
        [pgbench, "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(seconds), target],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", output)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{output}")
    return float(match.group(1))


@dataclass
class References:
    """The anchors of every ratio, measured once in a run and used for every stack of it."""

    bare: dict[str, Measurement] = field(default_factory=dict)  # worker class -> the bare DRF GET
    pgbench: list[float] = field(default_factory=list)  # tps of each round

    @property
    def tps(self) -> float:
        return statistics.median(self.pgbench)

    def bare_rate(self, mode: str) -> float:
        return self.bare[mode].rate


def measure_references(modes: list[str]) -> References:
    """The bare DRF GET (per worker class) and pgbench's TPC-B, ROUNDS times each, alternating, no stack running."""
    references = References()
    pgbench, target = pgbench_database()
    for mode in modes:
        with bare_reference(mode) as url:
            references.bare[mode] = Measurement(BARE_SCENARIO)
            wrk(f"{url}/hello/", seconds=2)  # warm-up
            for _ in range(ROUNDS):
                references.bare[mode].add(wrk(f"{url}/hello/", seconds=SECONDS), None)
                if mode == modes[0]:
                    references.pgbench.append(pgbench_run(pgbench, target, SECONDS))
    return references


@contextmanager
def bare_reference(mode: str) -> Iterator[str]:
    """Serve bench/bare (one DRF APIView, no database) with the services' gunicorn settings; yield its URL."""
    port = free_port_block(1)
    environment = {
        **os.environ,
        "GUNICORN_WORKER_CLASS": mode,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "SERVICE_NAME": "bare",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "warning",
    }
    url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryDirectory(prefix="bench-bare-") as work,
        serving(
            [sys.executable, "-m", "gunicorn", "-c", "python:gunicorn_conf"],
            probe=f"{url}/hello/", what="the bare DRF reference", output=Path(work) / "gunicorn.log", timeout=30,
            cwd=REPO_ROOT / "bench" / "bare", env=environment, start_new_session=True,
        ),
    ):  # fmt: skip
        yield url
