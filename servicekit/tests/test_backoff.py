"""The one back-off of the relay and the consumers: growing waits, a fresh start after a success, never dying."""

from __future__ import annotations

import threading

import pytest

from servicekit.events import Backoff


def test_the_waits_double_up_to_the_ceiling_and_start_over_after_a_success() -> None:
    backoff = Backoff("worker", start=0.5, ceiling=4.0)
    delays = []
    for _ in range(6):
        delays.append(backoff.delay())
        backoff.failures += 1
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.delay() == 0.5


def test_a_failing_step_is_called_again_after_a_wait_until_stopped(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    backoff = Backoff("relay", start=0.001, ceiling=0.001)
    calls: list[int] = []

    def step() -> None:
        calls.append(backoff.failures)
        if len(calls) < 3:
            raise ConnectionRefusedError("the broker is away")
        backoff.reset()
        stop.set()

    backoff.run(step, stop)
    assert calls == [0, 1, 2]  # each failure counted, the loop never died of one
    assert backoff.failures == 0  # the step got through
    warnings = [record for record in caplog.records if record.levelname == "WARNING"]
    assert [record.getMessage() for record in warnings] == ["relay: broker or database unavailable, retrying"] * 2
    assert warnings[0].error == "ConnectionRefusedError"  # type: ignore[attr-defined]


def test_a_set_stop_ends_the_wait_and_the_loop() -> None:
    stop = threading.Event()
    backoff = Backoff("consumer", start=60.0)

    def step() -> None:
        stop.set()
        raise OSError("gone")

    thread = threading.Thread(target=backoff.run, args=(step, stop))
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()  # a stop during the wait does not sit out the minute
