"""Start the native stack on free ports (own databases, own keys) and drive it through nginx only."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from servicekit.keys import write_keypair
from stack.services import REPO_ROOT, SERVICES

# Generous limits so that the suite's own logins are not throttled; the 429 test sends enough.
AUTH_RATE = "20r/s"
AUTH_BURST = "40"


@dataclass(frozen=True)
class Stack:
    """The running stack as the tests see it."""

    url: str
    run_dir: Path
    log_dir: Path
    private_key: bytes
    admin_email: str
    admin_password: str

    def access_log(self) -> list[str]:
        return (self.run_dir / "access.log").read_text().splitlines()

    def service_log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()


def _free_port_block(size: int) -> int:
    """Return the first port of `size` consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size >= 65000:
            continue
        sockets = []
        try:
            for port in range(base, base + size):
                candidate = socket.socket()
                sockets.append(candidate)
                candidate.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for candidate in sockets:
                candidate.close()
    raise RuntimeError("no block of free ports found")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("stack")
    private_path, public_path = write_keypair(work / "keys")
    base = _free_port_block(len(SERVICES) + 1)
    gateway_port, first_service_port = base, base + 1
    env = {
        **os.environ,
        "APP_ENV": "development",
        "JWT_PRIVATE_KEY_FILE": str(private_path),
        "JWT_PUBLIC_KEY_FILE": str(public_path),
        "GATEWAY_AUTH_RATE": AUTH_RATE,
        "GATEWAY_AUTH_BURST": AUTH_BURST,
        "DEMO_ADMIN_EMAIL": "e2e-admin@example.com",
        "DEMO_ADMIN_PASSWORD": "e2e-admin-password-1",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stack",
            "run",
            "--fresh",
            "--db-suffix",
            "_e2e",
            "--gateway-port",
            str(gateway_port),
            "--base-port",
            str(first_service_port),
            "--run-dir",
            str(work / "run"),
            "--log-dir",
            str(work / "logs"),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        bufsize=0,  # unbuffered, so select() sees every line
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 180
    while True:
        if time.monotonic() > deadline or process.poll() is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
            raise RuntimeError("the stack did not start:\n" + "".join(output))
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline().decode()
            output.append(line)
            if line.startswith("STACK READY"):
                break
    yield Stack(
        url=f"http://127.0.0.1:{gateway_port}",
        run_dir=work / "run",
        log_dir=work / "logs",
        private_key=private_path.read_bytes(),
        admin_email=env["DEMO_ADMIN_EMAIL"],
        admin_password=env["DEMO_ADMIN_PASSWORD"],
    )
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def new_user(stack: Stack, http: requests.Session) -> dict[str, str]:
    """Register a fresh customer through the gateway; return its email, password and tokens."""
    email = f"user-{time.time_ns()}@example.com"
    password = "a-long-e2e-passphrase"
    response = http.post(f"{stack.url}/auth/api/register/", json={"email": email, "password": password}, timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    return {
        "email": email,
        "password": password,
        "id": body["user"]["id"],
        "access": body["access"],
        "refresh": body["refresh"],
    }
