"""Start the native stack on free ports (own databases, own keys) and drive it through nginx only."""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from servicekit.testing import run_concurrently, serving
from servicekit.waiting import poll_until
from stack import gateway
from stack.client import ShopClient, new_email
from stack.launch import LaunchedStack, free_port_block, launched_stack

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
    email = new_email("user")
    password = "a-long-e2e-passphrase"
    body = ShopClient(stack.url, http, timeout=10).register(email, password)
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


def codes_sent(mail_dir: Path, address: str, subject: str) -> list[str]:
    """Every six-digit code emailed to `address` under `subject`, oldest first."""
    found = []
    for path in sorted(mail_dir.iterdir(), key=lambda path: path.stat().st_mtime):
        for message in path.read_text().split("-" * 79):
            if f"To: {address}" in message and f"Subject: {subject}" in message:
                found += re.findall(r"\bis ([0-9]{6})\b", message)
    return found


def emailed_code(mail_dir: Path, address: str, subject: str, *, count: int = 1, timeout: float = 20) -> str:
    """The `count`-th code emailed to `address` under `subject` (codes are sent in the background: wait for it)."""

    def enough() -> list[str] | None:
        found = codes_sent(mail_dir, address, subject)
        return found if len(found) >= count else None

    codes = poll_until(
        enough,
        timeout=timeout,
        interval=0.2,
        message=f"email {subject!r} #{count} to reach {address}",
    )
    return codes[count - 1]


def forged_claims(*, issuer: str, audience: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a five-minute access token (a customer's), any of them overridden (None: left out)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "token_type": "access",
        "user_id": str(uuid.uuid4()),
        "email": "someone@example.com",
        "roles": ["customer"],
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "iss": issuer,
        "aud": audience,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


class _From(requests.adapters.HTTPAdapter):
    """Send from another loopback address, so that per-address limits of other tests are untouched."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    """A session whose connections leave from `address` (127.0.0.x): a client of its own to the gateway."""
    session = requests.Session()
    session.mount("http://", _From(address))
    return session


def second_gateway(
    stack: LaunchedStack, run_dir: Path, upstreams: dict[str, str], environment: dict[str, str], **settings: str
) -> Iterator[str]:
    """Run another nginx on the gateway template, with `environment`'s settings, before `upstreams`; yield its URL."""
    port = free_port_block(1)
    values = gateway.native_values(
        listen=f"127.0.0.1:{port}",
        run_dir=run_dir,
        static_root=stack.run_dir / "static",
        web_root=run_dir,
        upstreams=upstreams,
        environment=environment,
        **settings,
    )
    main = gateway.write_config(run_dir / "nginx", values)
    nginx = gateway.ensure_command("nginx", package="nginx")
    url = f"http://127.0.0.1:{port}"
    command = [nginx, "-p", str(run_dir / "nginx"), "-c", str(main)]
    with serving(command, probe=f"{url}/health", what="a second gateway's nginx", output=run_dir / "nginx.out",
                 timeout=10):  # fmt: skip
        yield url


def stack_upstreams(stack: LaunchedStack) -> dict[str, str]:
    """Every service of the stack, as a gateway's upstreams name them (host:port)."""
    return {name: f"127.0.0.1:{port}" for name, port in stack.service_ports.items()}


T = TypeVar("T")


def polled(fetch: Callable[[], T], until: Callable[[T], bool], *, timeout: float, interval: float = 0.2) -> T:
    """Fetch until `until` holds of what came or `timeout` s pass; the last fetched either way.

    For a test whose own assertion on the result says best what is missing when time runs out.
    """
    latest: list[T] = []

    def done() -> bool:
        latest[:] = [fetch()]
        return until(latest[0])

    with contextlib.suppress(TimeoutError):
        poll_until(done, timeout=timeout, interval=interval)
    return latest[0]


def at_once(call: Callable[[], T], times: int, *, timeout: float = 60) -> list[T]:
    """What `call` returned in `times` threads released together; the first exception one raised, raised."""
    outcomes = run_concurrently(call, times, timeout=timeout)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    return [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
