import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from servicekit.http import ServiceClient, ServiceTokenProvider, ServiceUnavailable
from servicekit.requestid import request_id_var


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(dict(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_server() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_outgoing_calls_forward_the_request_id_and_the_bearer_token(echo_server: str) -> None:
    token = request_id_var.set("upstream-77")
    try:
        response = ServiceClient(echo_server).request("GET", "/anything", bearer="abc.def.ghi")
    finally:
        request_id_var.reset(token)
    headers = response.json()
    assert headers["X-Request-ID"] == "upstream-77"
    assert headers["Authorization"] == "Bearer abc.def.ghi"


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


class _TokenIssuer(BaseHTTPRequestHandler):
    """Issues service tokens like auth's internal endpoint, and counts requests."""

    issued = 0
    lifetime = 300

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if request["client_id"] == "refused":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        type(self).issued += 1
        body = json.dumps({"access_token": f"token-{type(self).issued}", "expires_in": type(self).lifetime}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def token_issuer() -> Any:
    _TokenIssuer.issued, _TokenIssuer.lifetime = 0, 300
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenIssuer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/auth/internal/service-token/"
    server.shutdown()


def test_the_service_token_is_fetched_once_and_reused(token_issuer: str, echo_server: str) -> None:
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="orders", client_secret="s3cret")
    client = ServiceClient(echo_server, tokens=provider)
    seen = {client.request("GET", "/x", as_service=True).json()["Authorization"] for _ in range(5)}
    assert seen == {"Bearer token-1"}
    assert _TokenIssuer.issued == 1


def test_a_token_about_to_expire_is_renewed(token_issuer: str) -> None:
    _TokenIssuer.lifetime = 10  # inside the 30 s renewal margin
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="orders", client_secret="s3cret")
    assert provider.token() == "token-1"
    assert provider.token() == "token-2"


def test_refused_credentials_are_a_503(token_issuer: str) -> None:
    provider = ServiceTokenProvider(token_url=token_issuer, client_id="refused", client_secret="wrong")
    with pytest.raises(ServiceUnavailable, match="refused"):
        provider.token()
