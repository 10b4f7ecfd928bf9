import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from servicekit.stubs import JsonServer, StubRequest, json_server


class Bank:
    """A stand-in for the bank's internal API: idempotent by key, like the real one."""

    def __init__(self) -> None:
        self.moved: dict[str, dict[str, Any]] = {}
        self.refuse: tuple[int, str, str] | None = None
        self.delay = 0.0
        self.busy: set[str] = set()  # keys whose first request the bank is still processing
        self.lock = threading.Lock()
        self.posts = 0

    def __call__(self, request: StubRequest) -> tuple[int, Any]:
        if request.method == "GET":
            key = request.path.split("idempotency_key=", 1)[-1].replace("%3A", ":")
            return (200, self.moved[key]) if key in self.moved else (404, {"code": "not_found"})
        key = request.headers["Idempotency-Key"]
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
    with json_server(stub) as server:
        settings.BANK_INTERNAL_URL = server.url
        yield stub, server
