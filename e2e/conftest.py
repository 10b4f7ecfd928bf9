"""Start the native stack on free ports (own databases, own keys) and drive it through nginx only."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stack.launch import LaunchedStack, launched_stack

Stack = LaunchedStack

# Generous limits so that the suite's own logins are not throttled; the 429 test sends enough.
AUTH_RATE = "20r/s"
AUTH_BURST = "40"


CORS_ORIGIN = "http://localhost:3000"  # a React dev server, say
ADMIN_EMAIL = "e2e-admin@example.com"
ADMIN_PASSWORD = "e2e-admin-password-1"


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the stack's notification emails are written (one file per message)."""
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, mail_dir: Path) -> Iterator[LaunchedStack]:
    environment = {
        "EMAIL_URL": "filemail://",
        "CORS_ALLOWED_ORIGINS": CORS_ORIGIN,
        "EMAIL_FILE_PATH": str(mail_dir),
        "GATEWAY_AUTH_RATE": AUTH_RATE,
        "GATEWAY_AUTH_BURST": AUTH_BURST,
        "DEMO_ADMIN_EMAIL": ADMIN_EMAIL,
        "DEMO_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        # Short intervals so that a key rotation shows within seconds.
        "JWT_KEYS_RELOAD_SECONDS": "0.5",
        "JWT_JWKS_MAX_AGE": "2",
        "JWT_JWKS_MIN_REFETCH": "1",
        # A verification code may be asked for again after 2 s, not a minute.
        "CODE_RESEND_SECONDS": "2",
    }
    # E2E_DB_SUFFIX keeps two runs on one machine apart (their databases, exchange and queues).
    suffix = os.environ.get("E2E_DB_SUFFIX", "_e2e")
    with launched_stack(tmp_path_factory.mktemp("stack"), db_suffix=suffix, environment=environment) as running:
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def new_user(stack: LaunchedStack, http: requests.Session) -> dict[str, str]:
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


def register_service_client(stack: LaunchedStack, client_id: str, *scopes: str) -> str:
    """Register a service client in auth (as `make run` does for each service); return its secret."""
    arguments = [argument for scope in scopes for argument in ("--scope", scope)]
    output = stack.manage("auth", "register_service_client", client_id, *arguments)
    return next(line.split("=", 1)[1] for line in output.splitlines() if line.startswith("client_secret="))


def issue_service_token(stack: LaunchedStack, http: requests.Session, client_id: str, secret: str) -> requests.Response:
    """Ask auth, on the private network, for a service token by client credentials."""
    return http.post(
        f"{stack.service_url('auth')}/auth/internal/service-token/",
        json={"client_id": client_id, "client_secret": secret},
        timeout=10,
    )
