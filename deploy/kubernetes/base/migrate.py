"""Migrate under a lock: the init container of every pod of a service runs this (in the service's image).

It holds a PostgreSQL advisory lock on the service's database while the image's entrypoint migrates
and runs the start-up commands, so that pods starting together (the first install, a scale-up, a
web pod and its worker) migrate one after the other instead of racing; whoever comes second finds
nothing left to do. The entrypoint then runs `true` in place of the service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg

LOCK = "shop-migrate"
ENTRYPOINT = "/usr/local/bin/shop-entrypoint"


def connect(url: str, *, timeout: float = 120.0) -> psycopg.Connection:
    started = time.monotonic()
    while True:
        try:
            return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as error:
            if time.monotonic() - started > timeout:
                sys.exit(f"the database did not answer in {timeout:.0f}s: {error}")
            time.sleep(1)


def main() -> int:
    with connect(os.environ["DATABASE_URL"]) as connection:
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK,))
        return subprocess.run([sys.executable, ENTRYPOINT, "true"], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
