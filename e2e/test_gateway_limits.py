"""The gateway's defences against floods and slow clients, on a gateway of their own.

The session's stack lifts the per-address limits (every test sends from 127.0.0.1), so these tests
render the same template with small limits into a second nginx in front of the same services. Each
test sends from its own loopback address, so the per-address zones of one never touch another.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from e2e.conftest import CORS_ORIGIN, Stack, second_gateway, session_from, stack_upstreams
from stack.launch import free_port_block
from stack.services import SERVICES

CLIENT_TIMEOUT_SECONDS = 2
LIMITS = {
    "GATEWAY_READ_RATE": "1r/s",
    "GATEWAY_READ_BURST": "5",
    "GATEWAY_WRITE_RATE": "1r/s",
    "GATEWAY_WRITE_BURST": "5",
    "GATEWAY_CONNECTIONS_PER_CLIENT": "2",
    "GATEWAY_CLIENT_TIMEOUT": f"{CLIENT_TIMEOUT_SECONDS}s",
    "GATEWAY_AUTH_RATE": "1r/s",
    "GATEWAY_AUTH_BURST": "5",
    "GATEWAY_MAX_BODY_SIZE": "1m",
}


def _gateway(stack: Stack, run_dir: Path, upstreams: dict[str, str]) -> Iterator[str]:
    """Run nginx on the template with the small limits and the given upstreams; yield its URL."""
    yield from second_gateway(stack, run_dir, upstreams, {**LIMITS, "CORS_ALLOWED_ORIGINS": CORS_ORIGIN})


@pytest.fixture(scope="module")
def strict_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second nginx rendered from the template with small limits, proxying to the stack's services."""
    upstreams = stack_upstreams(stack)
    yield from _gateway(stack, tmp_path_factory.mktemp("strict-gateway"), upstreams)


def test_a_service_that_is_down_is_a_json_503(stack: Stack, tmp_path: Path) -> None:
    closed = free_port_block(1)  # nothing listens there
    upstreams = {service.name: f"127.0.0.1:{closed}" for service in SERVICES}
    for url in _gateway(stack, tmp_path, upstreams):
        response = requests.get(f"{url}/bank/api/whoami/", timeout=10)
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
        assert response.json()["request_id"] == response.headers["X-Request-ID"]


def _statuses(session: requests.Session, method: str, url: str, count: int) -> list[int]:
    return [session.request(method, url, json={}, timeout=10).status_code for _ in range(count)]


def test_writes_past_rate_and_burst_are_429_and_reads_are_counted_apart(strict_gateway: str) -> None:
    with session_from("127.0.0.11") as session:
        writes = _statuses(session, "POST", f"{strict_gateway}/bank/api/transfers/", 20)
        assert writes[:5] == [401] * 5  # the burst reaches the service (which wants a token)
        assert writes.count(429) >= 10, writes
        refused = session.post(f"{strict_gateway}/bank/api/transfers/", json={}, timeout=10)
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled"
        # The same client's reads are another class, with their own allowance.
        assert session.get(f"{strict_gateway}/catalog/api/products/", timeout=10).status_code == 200
    print(f"\nWrite flood: 21 writes, {writes.count(429) + 1} answered 429 by the gateway")


def test_reads_past_rate_and_burst_are_429_but_health_and_static_files_are_not_limited(strict_gateway: str) -> None:
    with session_from("127.0.0.12") as session:
        reads = _statuses(session, "GET", f"{strict_gateway}/orders/api/orders/", 20)
        assert reads[:5] == [401] * 5
        assert reads.count(429) >= 10, reads
        others = [
            session.get(f"{strict_gateway}{path}", timeout=10).status_code
            for path in ("/orders/health/", "/health", "/bank/static/admin/css/base.css") * 10
        ]
        assert set(others) == {200}, others


def test_sign_in_has_its_own_limit_and_does_not_use_the_write_allowance(strict_gateway: str) -> None:
    with session_from("127.0.0.13") as session:
        sign_ins = _statuses(session, "POST", f"{strict_gateway}/auth/api/token/", 20)
        assert sign_ins[:5] == [400] * 5
        assert sign_ins.count(429) >= 10, sign_ins
        # Writes elsewhere still have their whole burst.
        assert _statuses(session, "POST", f"{strict_gateway}/bank/api/transfers/", 5) == [401] * 5


def _connect(gateway_url: str, address: str) -> socket.socket:
    host, port = gateway_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10, source_address=(address, 0))


def _half_sent_upload(gateway_url: str, address: str) -> socket.socket:
    """A POST whose headers promise a body that never comes: a request in progress at the gateway."""
    connection = _connect(gateway_url, address)
    connection.sendall(
        b"POST /bank/api/transfers/ HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    return connection


def _read_until_closed(connection: socket.socket, *, within: float) -> tuple[bytes, float]:
    """Read until the gateway closes the connection; return what it sent and how long it took."""
    started = time.monotonic()
    connection.settimeout(within)
    received = b""
    try:
        while chunk := connection.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def test_requests_in_progress_per_client_are_limited(strict_gateway: str) -> None:
    held = [_half_sent_upload(strict_gateway, "127.0.0.14") for _ in range(2)]
    try:
        time.sleep(0.3)  # both requests' headers are read: two requests in progress
        with session_from("127.0.0.14") as session:
            third = session.get(f"{strict_gateway}/catalog/api/products/", timeout=10)
        assert third.status_code == 429
        assert third.json()["code"] == "throttled"
        with session_from("127.0.0.15") as session:  # another address is not affected
            assert session.get(f"{strict_gateway}/catalog/api/products/", timeout=10).status_code == 200
    finally:
        for connection in held:
            connection.close()


def test_a_client_that_stops_sending_its_body_is_cut_off(strict_gateway: str) -> None:
    connection = _half_sent_upload(strict_gateway, "127.0.0.16")
    try:
        answer, waited = _read_until_closed(connection, within=CLIENT_TIMEOUT_SECONDS + 5)
    finally:
        connection.close()
    assert waited < CLIENT_TIMEOUT_SECONDS + 3, waited
    assert b"401" not in answer.split(b"\r\n", 1)[0]  # the service never saw it
    if answer:  # nginx may answer 408 (shown as the JSON 400) before closing
        assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 408 Request Time-out")


def test_a_client_that_stops_sending_its_headers_is_cut_off(strict_gateway: str) -> None:
    connection = _connect(strict_gateway, "127.0.0.17")
    try:
        connection.sendall(b"GET /bank/health/ HTTP/1.1\r\nHost: shop\r\n")  # and then nothing
        answer, waited = _read_until_closed(connection, within=CLIENT_TIMEOUT_SECONDS + 5)
    finally:
        connection.close()
    assert waited < CLIENT_TIMEOUT_SECONDS + 3, waited
    assert b"200 OK" not in answer
