import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from servicekit.http import ServiceClient, ServiceTokenProvider, ServiceUnavailable
from servicekit.requestid import request_id_var
from servicekit.stubs import StubRequest, json_server


@pytest.fixture
def echo_server() -> Iterator[str]:
    """Answers every request with the headers it received."""
    with json_server(lambda request: (200, request.headers)) as server:
        yield server.url


def test_outgoing_calls_forward_the_request_id_and_the_bearer_token(echo_server: str) -> None:
    token = request_id_var.set("upstream-77")
    try:
        response = ServiceClient(echo_server).request("GET", "/anything", bearer="abc.def.ghi")
    finally:
        request_id_var.reset(token)
    headers = response.json()
    assert headers["X-Request-ID"] == "upstream-77"
    assert headers["Authorization"] == "Bearer abc.def.ghi"


def test_outgoing_calls_ignore_proxies_and_netrc_from_the_environment(
    echo_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A proxy that answers nothing, and a .netrc with a password for the callee's host.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    response = ServiceClient(echo_server).request("GET", "/anything")
    assert response.status_code == 200
    assert "Authorization" not in response.json()


def test_an_unreachable_service_becomes_a_503_error() -> None:
    with pytest.raises(ServiceUnavailable) as raised:
        ServiceClient("http://127.0.0.1:9", timeout=(0.5, 0.5)).request("GET", "/")
    assert raised.value.status_code == 503


def test_log_lines_are_json_with_the_request_id(client: Client) -> None:
    # The service's configured console handler, re-pointed at a buffer: same formatter, same filter.
    configured = logging.getLogger("django").handlers[0]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(configured.formatter)
    for log_filter in configured.filters:
        handler.addFilter(log_filter)
    logging.getLogger("django").addHandler(handler)
    try:
        client.get("/kit/api/whoami/", HTTP_X_REQUEST_ID="log-me-123")
    finally:
        logging.getLogger("django").removeHandler(handler)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    unauthorized = [line for line in lines if line.get("logger") == "django.request"]
    assert unauthorized, lines
    assert unauthorized[-1]["request_id"] == "log-me-123"
    assert unauthorized[-1]["service"] == "kit"
    assert unauthorized[-1]["level"] == "WARNING"


class _TokenIssuer:
    """Issues service tokens like auth's internal endpoint; refuses the client id "refused"."""

    def __init__(self) -> None:
        self.issued = 0
        self.lifetime = 300

    def __call__(self, request: StubRequest) -> tuple[int, Any]:
        if request.body["client_id"] == "refused":
            return 401, None
        self.issued += 1
        return 200, {"access_token": f"token-{self.issued}", "expires_in": self.lifetime}


@pytest.fixture
def issuer() -> _TokenIssuer:
    return _TokenIssuer()


@pytest.fixture
def token_issuer(issuer: _TokenIssuer) -> Iterator[str]:
    with json_server(issuer) as server:
        yield f"{server.url}/auth/internal/service-token/"


def test_the_service_token_is_fetched_once_and_reused(
    token_issuer: str, issuer: _TokenIssuer, echo_server: str
) -> None:
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="orders", client_secret="s3cret")
    client = ServiceClient(echo_server, tokens=provider)
    seen = {client.request("GET", "/x", as_service=True).json()["Authorization"] for _ in range(5)}
    assert seen == {"Bearer token-1"}
    assert issuer.issued == 1


def test_a_token_about_to_expire_is_renewed(token_issuer: str, issuer: _TokenIssuer) -> None:
    issuer.lifetime = 10  # inside the 30 s renewal margin
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="orders", client_secret="s3cret")
    assert provider.token() == "token-1"
    assert provider.token() == "token-2"


def test_refused_credentials_are_a_503(token_issuer: str) -> None:
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="refused", client_secret="wrong")
    with pytest.raises(ServiceUnavailable, match="refused"):
        provider.token()


def test_a_refused_service_token_is_renewed_once_and_the_call_retried(token_issuer: str, issuer: _TokenIssuer) -> None:
    def callee(request: StubRequest) -> tuple[int, Any]:
        # The first token has been revoked, say by a key rotation; the renewed one is accepted.
        return (401, None) if request.headers["Authorization"] == "Bearer token-1" else (200, {"ok": True})

    provider = ServiceTokenProvider(token_url=token_issuer, client_id="orders", client_secret="s3cret")
    with json_server(callee) as server:
        response = ServiceClient(server.url, tokens=provider).request("GET", "/x", as_service=True)
        assert response.status_code == 200
        assert server.requests == 2
    assert issuer.issued == 2


def test_a_service_token_refused_twice_is_not_retried_forever(token_issuer: str, issuer: _TokenIssuer) -> None:
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="orders", client_secret="s3cret")
    with json_server(lambda request: (401, None)) as server:
        response = ServiceClient(server.url, tokens=provider).request("GET", "/x", as_service=True)
        assert response.status_code == 401
        assert server.requests == 2
