"""A pytest plugin for service tests (`-p servicekit.testing`): throwaway keys, tokens and API clients."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import jwt
import pytest

from servicekit.keys import load_private_key, thumbprint, write_keypair
from servicekit.waiting import poll_until

__all__ = ["event_topology", "poll_until", "recorded_statements", "run_concurrently", "sign_token"]

T = TypeVar("T")


def run_concurrently(call: Callable[[], T], times: int, *, timeout: float = 30.0) -> list[T | Exception]:
    """Run `call` in `times` threads released at once by a barrier; return what each returned or raised.

    The results come in thread order, an exception in place of a result, so a test counts winners
    and losers. Each thread closes its own database connections (Django opens one per thread).
    """
    barrier = threading.Barrier(times, timeout=timeout)
    outcomes: list[T | Exception] = [TimeoutError("did not finish")] * times

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # the test decides which errors are expected
            outcomes[index] = error
        finally:
            _close_connections()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes


@dataclass
class Statements:
    """What a connection sent while `recorded_statements` watched it."""

    logged: list[str] = field(default_factory=list)  # as Django logs them: BEGIN and COMMIT included
    autocommitted: list[str] = field(default_factory=list)  # run outside any transaction: each its own commit

    @property
    def commits(self) -> int:
        return self.logged.count("COMMIT")

    @property
    def work(self) -> list[str]:
        """Every statement but BEGIN and COMMIT."""
        return [text for text in self.logged if text not in ("BEGIN", "COMMIT")]

    @property
    def savepoints(self) -> list[str]:
        return [text for text in self.work if "SAVEPOINT" in text]


@contextlib.contextmanager
def recorded_statements() -> Iterator[Statements]:
    """Record the statements the default connection sends, and which ran outside a transaction.

    For tests that bound a request's round trips and commits (Django's CaptureQueriesContext
    logs BEGIN and COMMIT; an execute wrapper tells which statements committed on their own).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    recorded = Statements()

    def note(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not connection.in_atomic_block:
            recorded.autocommitted.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as logged, connection.execute_wrapper(note):
        try:
            yield recorded
        finally:
            recorded.logged.extend(query["sql"] for query in logged.captured_queries)


TEST_BROKER = "amqp://guest:guest@127.0.0.1:5672//"


@contextlib.contextmanager
def event_topology(
    *, max_attempts: int, retry_delays: list[float], handlers: str | None = None, broker: str = TEST_BROKER
) -> Iterator[dict[str, str]]:
    """A fresh exchange and consumer queue for one test, set in the settings; deleted afterwards with
    every queue a consumer of them declares (its retry queues and dead letters)."""
    import kombu
    from django.test import override_settings

    from servicekit.events.topology import Topology

    tag = uuid.uuid4().hex[:10]
    names = {"exchange": f"test.events.{tag}", "queue": f"test.{tag}"}
    settings: dict[str, Any] = {
        "EVENTS_BROKER_URL": broker,
        "EVENTS_EXCHANGE": names["exchange"],
        "EVENTS_QUEUE": names["queue"],
        "EVENTS_MAX_ATTEMPTS": max_attempts,
        "EVENTS_RETRY_DELAYS": retry_delays,
        **({"EVENT_HANDLERS": handlers} if handlers is not None else {}),
    }
    try:
        with override_settings(**settings):
            yield names
    finally:
        topology = Topology(names["queue"], (), tuple(retry_delays))
        retries = [topology.retry_queue(attempt) for attempt in range(1, len(retry_delays) + 1)]
        with kombu.Connection(broker) as connection:
            channel = connection.channel()
            for name in (names["queue"], topology.dead_letter_queue, *retries):
                channel.queue_delete(name)
            channel.exchange_delete(names["exchange"])


def _close_connections() -> None:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: list[str]) -> None:
    """Point the service at a key pair made for this test run, before Django reads its settings."""
    os.environ.setdefault("APP_ENV", "test")
    private_path, public_path = write_keypair(Path(tempfile.mkdtemp(prefix="servicekit-test-keys-")))
    os.environ["JWT_PRIVATE_KEY_FILE"] = str(private_path)
    os.environ["JWT_PUBLIC_KEY_FILE"] = str(public_path)


def sign_token(
    *,
    private_key: bytes | None = None,
    algorithm: str = "RS256",
    headers: dict[str, Any] | None = None,
    lifetime: timedelta = timedelta(minutes=5),
    omit: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """Sign a token as auth_service would (with the key's `kid`), with any claim overridden or omitted."""
    from django.conf import settings

    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "token_type": "access",
        "user_id": str(uuid.uuid4()),
        "email": "someone@example.com",
        "roles": ["customer"],
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
    }
    payload.update(claims)
    for name in omit:
        payload.pop(name, None)
    key = private_key if private_key is not None else Path(os.environ["JWT_PRIVATE_KEY_FILE"]).read_bytes()
    if headers is None:
        headers = {"kid": thumbprint(load_private_key(key).public_key())}
        if payload.get("token_type") != "refresh":
            headers["typ"] = "at+jwt"
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def user_client(
    user_id: uuid.UUID | str, *roles: str, email: str = "user@example.com", email_verified: bool = True
) -> Any:
    """A DRF test client signed in as the user `user_id` with `roles` (customer by default)."""
    from rest_framework.test import APIClient

    client = APIClient()
    token = sign_token(
        user_id=str(user_id), email=email, email_verified=email_verified, roles=list(roles or ("customer",))
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def service_client(client_id: str, *scopes: str) -> Any:
    """A DRF test client calling as the service `client_id` with a service token carrying `scopes`."""
    from rest_framework.test import APIClient

    client = APIClient()
    token = sign_token(
        token_type="service", client_id=client_id, scopes=list(scopes), omit=("user_id", "email", "roles")
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def service_identity(settings: Any) -> Any:
    """Let this service call others as itself, with tokens from a stand-in auth on 127.0.0.1."""
    from servicekit import http
    from servicekit.stubs import json_server

    def issue(request: Any) -> tuple[int, Any]:
        return 200, {"access_token": "test-service-token", "token_type": "Bearer", "expires_in": 300}

    with json_server(issue) as auth:
        settings.AUTH_INTERNAL_URL = auth.url
        settings.SERVICE_CLIENT_ID, settings.SERVICE_CLIENT_SECRET = "test-service", "test-secret"
        http._provider = None
        yield auth
        http._provider = None


@pytest.fixture
def token_factory() -> Callable[..., str]:
    """Sign test tokens with the run's private key."""
    return sign_token


@pytest.fixture
def contract_claims() -> dict[str, Any]:
    """Claims of the user that servicekit.contract's valid tokens speak for."""
    return {"user_id": str(uuid.uuid4()), "email": "contract@example.com", "roles": ["customer"]}


@pytest.fixture
def api_client() -> Any:
    """An anonymous DRF test client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_as() -> Callable[..., Any]:
    """Return a DRF test client authenticated as a user with the given roles."""

    def make(*roles: str, user_id: uuid.UUID | None = None, email: str = "user@example.com") -> Any:
        return user_client(user_id or uuid.uuid4(), *roles, email=email)

    return make


@contextlib.contextmanager
def serving(
    command: list[str], *, probe: str, what: str, output: Path, timeout: float, **popen: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends, once it answers `probe` (any HTTP answer will do).

    Its stdout and stderr go to `output`, whose end is shown if it exits or does not answer within
    `timeout`. Stopped with SIGTERM on the way out.
    """
    import requests

    with output.open("wb") as log:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(probe, timeout=1)
                break
            except requests.RequestException:  # not listening yet, or its worker still booting
                exited = process.poll() is not None
                if exited or time.monotonic() > deadline:
                    state = f"exited with status {process.returncode}" if exited else "did not answer"
                    tail = output.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{what} {state} at {probe}:\n{tail}") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 that a test can cut and restore, to take a dependency away
    (the broker, say) from the code under test without touching the real server.

    The port stays the same across `stop()` and `start()`, so clients reconnect to the same URL.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (a close alone does not)
            self._listener.close()
            self._listener = None
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
