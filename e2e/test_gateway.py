"""The gateway: routing, health, hidden internal paths, request ids, headers, limits, JSON errors."""

from __future__ import annotations

import json
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from e2e.conftest import Stack
from servicekit.waiting import poll_until
from stack.services import SERVICES

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def test_gateway_health(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "gateway"}


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_every_service_is_routed_by_prefix_and_ready(stack: Stack, http: requests.Session, service: str) -> None:
    health = http.get(f"{stack.url}/{service}/health/", timeout=5)
    ready = http.get(f"{stack.url}/{service}/ready/", timeout=5)
    assert health.status_code == 200 and health.json()["service"] == service
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


@pytest.mark.parametrize(
    "path",
    [
        "/bank/internal/anything",
        "/auth/internal/service-token/",
        "/catalog//internal/x",
        "/orders/%69nternal/x",
        "/payments/internal",
    ],
)
def test_internal_paths_are_hidden(stack: Stack, http: requests.Session, path: str) -> None:
    response = http.get(f"{stack.url}{path}", timeout=5)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_service_errors_keep_the_json_shape_through_the_gateway(stack: Stack, http: requests.Session) -> None:
    not_found = http.get(f"{stack.url}/bank/api/nothing/", timeout=5)
    not_allowed = http.delete(f"{stack.url}/catalog/health/", timeout=5)
    assert not_found.status_code == 404 and not_found.json()["code"] == "not_found"
    assert not_allowed.status_code == 405 and not_allowed.json()["code"] == "method_not_allowed"


def test_security_headers_are_set_once(stack: Stack) -> None:
    # requests folds repeated headers; read the raw response to see each exactly once.
    with socket.create_connection(("127.0.0.1", int(stack.url.rsplit(":", 1)[1])), timeout=5) as connection:
        connection.sendall(b"GET /bank/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head = raw.split(b"\r\n\r\n", 1)[0].decode().lower().splitlines()
    for name, value in SECURITY_HEADERS.items():
        lines = [line for line in head if line.startswith(name.lower() + ":")]
        assert lines == [f"{name.lower()}: {value.lower()}"], head
    assert not any(line.startswith("server: nginx/") for line in head)


def test_request_id_is_generated_forwarded_and_logged(stack: Stack, http: requests.Session) -> None:
    generated = http.get(f"{stack.url}/bank/health/", timeout=5).headers["X-Request-ID"]
    assert len(generated) == 32

    request_id = f"e2e-{uuid.uuid4().hex}"
    # An unauthenticated call makes the service log a warning, which must carry the same id.
    response = http.get(f"{stack.url}/catalog/api/whoami/", headers={"X-Request-ID": request_id}, timeout=5)
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == request_id
    assert response.json()["request_id"] == request_id
    service_lines = [json.loads(line) for line in stack.service_log("catalog").splitlines() if request_id in line]
    assert service_lines and all(line["request_id"] == request_id for line in service_lines)
    # nginx writes the access line as it finalises the request, which may be just after the answer.
    access_lines = poll_until(
        lambda: [json.loads(line) for line in stack.access_log() if request_id in line],
        timeout=5,
        message="the request's access log line",
    )
    assert len(access_lines) == 1
    assert access_lines[0]["status"] == 401
    assert access_lines[0]["upstream_time"] not in ("", "-")


def test_a_malformed_request_id_is_replaced(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/bank/health/", headers={"X-Request-ID": "x" * 300}, timeout=5)
    assert response.headers["X-Request-ID"] != "x" * 300
    assert len(response.headers["X-Request-ID"]) == 32


def test_a_body_over_the_1_mib_limit_is_refused_with_413(stack: Stack, http: requests.Session) -> None:
    response = http.post(
        f"{stack.url}/auth/api/register/",
        data=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/bank/static/no-such-file.css", 404, "not_found"),
        ("POST", "/bank/static/admin/css/base.css", 405, "method_not_allowed"),
        ("GET", "/assets/no-such-file.js", 404, "not_found"),
        ("POST", "/nowhere", 405, "method_not_allowed"),
    ],
)
def test_errors_the_gateway_makes_itself_are_json(
    stack: Stack, http: requests.Session, method: str, path: str, status: int, code: str
) -> None:
    response = http.request(method, f"{stack.url}{path}", timeout=5)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_oversized_headers_are_a_json_400(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/bank/health/", headers={"X-Padding": "x" * 64 * 1024}, timeout=5)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_a_request_line_over_8_kib_is_a_json_414(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/catalog/api/products/?search={'x' * 9000}", timeout=5)
    assert response.status_code == 414
    assert response.json()["code"] == "bad_request"


def test_static_files_are_served_by_the_gateway(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/bank/static/admin/css/base.css", timeout=5)
    assert response.status_code == 200
    assert "text/css" in response.headers["Content-Type"]


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Send from another loopback address, so the rate limit of other tests' address is untouched."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs["source_address"] = ("127.0.0.2", 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.mark.parametrize("path", ["/auth/api/token/", "/auth/api/token/refresh/", "/auth/api/register/"])
def test_credential_endpoints_are_rate_limited(stack: Stack, path: str) -> None:
    def attempt(_: int) -> int:
        with requests.Session() as session:
            session.mount("http://", _SourceAddressAdapter())
            return session.post(f"{stack.url}{path}", json={}, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(attempt, range(120)))
    assert statuses.count(429) > 0, statuses
    assert statuses.count(400) > 0, statuses
    assert set(statuses) <= {400, 429}


def test_other_endpoints_are_not_rate_limited(stack: Stack) -> None:
    def attempt(_: int) -> int:
        with requests.Session() as session:
            session.mount("http://", _SourceAddressAdapter())
            return session.get(f"{stack.url}/auth/health/", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(attempt, range(120)))
    assert set(statuses) == {200}
