"""A shop client that behaves as a real one under faults, and records every attempt.

It sends every money-moving request with an Idempotency-Key and, when it gets a 5xx, no answer,
or "still in progress" (409 idempotency_in_progress), sends the very same request again with the
same key until it gets a definitive answer.
"""

from __future__ import annotations

import random
import time
from typing import Any

import requests

from e2e.load.plan import GIVE_UP_AFTER
from e2e.load.recording import Attempt, Recorder, now
from stack.client import ShopClient, error_code, new_key


class OutcomeUnknown(Exception):
    """No definitive answer came within GIVE_UP_AFTER: the request may or may not have taken effect."""


class RetryingClient(ShopClient):
    """Sends a request until it gets a definitive answer (2xx or a refusal), always with the same key."""

    def __init__(self, url: str, recorder: Recorder) -> None:
        super().__init__(url)
        self.timeout = (5, 30)
        self.recorder = recorder

    def send(
        self, method: str, path: str, *, operation: str, key: str | None = None, **options: Any
    ) -> requests.Response:
        key = key or new_key()
        deadline = now() + GIVE_UP_AFTER
        for number in range(10_000):
            sent = now()
            response: requests.Response | None
            try:
                response = super().send(method, path, operation=operation, key=key, **options)
            except requests.RequestException as error:
                response, status, code = None, None, type(error).__name__
            else:
                status, code = response.status_code, error_code(response) if response.status_code >= 400 else ""
            attempt = Attempt(self.recorder.phase, operation, sent, now(), status, code, retry=number > 0)
            self.recorder.add(attempt)
            if response is not None and not attempt.failed and not attempt.in_progress:
                return response
            if now() > deadline:
                break
            time.sleep(min(2.0, 0.1 * 2 ** min(number, 5)) * random.uniform(0.5, 1.0))
        raise OutcomeUnknown(f"{method} {path}: no definitive answer in {GIVE_UP_AFTER:.0f} s")
