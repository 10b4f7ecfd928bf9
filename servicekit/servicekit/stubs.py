"""Real HTTP servers on 127.0.0.1 that stand in for other services in tests: each answers JSON and counts requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class StubRequest:
    """One request a stub received: method, path (with the query string), headers, decoded JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


# Given a request, return a status and a JSON-able body (None for no body).
Responder = Callable[[StubRequest], tuple[int, Any]]


@dataclass
class JsonServer:
    """A running server: its base URL and how many requests it has answered."""

    url: str
    requests: int = 0
    received: list[StubRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def json_server(respond: Responder) -> Iterator[JsonServer]:
    """Serve `respond` on a free port until the block ends."""
    server_state = JsonServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            request = StubRequest(self.command, self.path, dict(self.headers.items()), body)
            with server_state.lock:
                server_state.requests += 1
                server_state.received.append(request)
            status, answer = respond(request)
            payload = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer  # noqa: N815 - the stdlib's names

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
