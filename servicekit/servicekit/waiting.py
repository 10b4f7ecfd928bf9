"""Wait for a condition with a deadline: one loop for tests, the stack's tooling and its scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(
    check: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "the condition",
) -> T:
    """Call `check` until it returns something truthy, and return that; TimeoutError after `timeout` s.

    The error names `message` and the last value `check` returned, so a failed wait says what it saw.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"waited {timeout:g} s for {message}; last saw {value!r}")
        time.sleep(interval)
