import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from servicekit.http import ServiceClient, ServiceUnavailable
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
