"""What the stack's figures are compared with, measured in the same run: pgbench's TPC-B on the same
PostgreSQL, and a bare DRF endpoint on the same gunicorn settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from bench.settings import PGBENCH_CLIENTS, REPO_ROOT, SUFFIX
from servicekit.testing import serving
from stack import db
from stack.gateway import ensure_command
from stack.launch import free_port_block

PGBENCH_DATABASE = "bench_pgbench" if SUFFIX == "_bench" else f"bench_pgbench{SUFFIX}"


def pgbench_tps(seconds: int) -> float:
    """TPC-B (pgbench's built-in script) on the same PostgreSQL, in a scratch database."""
    pgbench = ensure_command("pgbench", package="postgresql-client")
    admin = db.admin_url()
    base = admin.rsplit("/", 1)[0]
    name = sql.Identifier(PGBENCH_DATABASE)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    target = f"{base}/{PGBENCH_DATABASE}"
    subprocess.run([pgbench, "-i", "-q", "-s", "4", target], check=True, capture_output=True)
    output = subprocess.run(
        [pgbench, "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(seconds), target],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", output)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{output}")
    return float(match.group(1))


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
