import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from servicekit.stubs import JsonServer, StubRequest, json_server

MOVEMENTS = "/bank/internal/movements/"


class Bank:
    """A stand-in for the bank's internal movements API: idempotent by key, like the real one."""

    def __init__(self) -> None:
        self.moved: dict[str, dict[str, Any]] = {}
        self.refuse: tuple[int, str, str] | None = None
        self.delay = 0.0
        self.busy: set[str] = set()  # keys whose first request the bank is still processing
        self.lock = threading.Lock()
        self.posts = 0
        self.on_move: Callable[[str], None] | None = None  # runs as a movement request arrives, with its key

    def __call__(self, request: StubRequest) -> tuple[int, Any]:
        if request.method != "POST" or request.path.split("?")[0] != MOVEMENTS:
            return 404, {"code": "not_found", "message": "Not found."}
        key = request.headers["Idempotency-Key"]
        if self.on_move is not None:
            self.on_move(key)
        if self.delay:
            threading.Event().wait(self.delay)
        with self.lock:
            self.posts += 1
            if key in self.busy:
                return 409, {"code": "idempotency_in_progress", "message": "still processing"}
            if key in self.moved:
                return 201, self.moved[key]
            if self.refuse:
                status, code, message = self.refuse
                return status, {"code": code, "message": message, "fields": {}}
            self.moved[key] = {"id": str(uuid.uuid4()), "kind": request.body["kind"], "body": request.body}
            return 201, self.moved[key]


@pytest.fixture
def bank(settings: Any, service_identity: Any) -> Iterator[tuple[Bank, JsonServer]]:
    stub = Bank()
    settings.PAYMENTS_BANK_BUSY_WAIT = 0.3  # a key the stub keeps busy is given up on soon
    with json_server(stub) as server:
        settings.BANK_INTERNAL_URL = server.url
        yield stub, server
