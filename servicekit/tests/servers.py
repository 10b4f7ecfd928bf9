"""Real HTTP servers on 127.0.0.1 for tests of outgoing calls: each answers JSON and counts requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Given the method, the headers and the decoded JSON body (or None), return a status and a body.
Responder = Callable[[str, dict[str, str], Any], tuple[int, Any]]


@dataclass
class JsonServer:
    """A running server: its base URL and how many requests it has answered."""

    url: str
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def json_server(respond: Responder) -> Iterator[JsonServer]:
    """Serve `respond` on a free port until the block ends."""
    server_state = JsonServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            with server_state.lock:
                server_state.requests += 1
            status, answer = respond(self.command, dict(self.headers.items()), body)
            payload = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer  # noqa: N815 - the stdlib's names

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
