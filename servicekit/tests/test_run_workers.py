"""`manage.py run_workers`: a service's relay, consumer and periodic jobs in one process, a thread each."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test import override_settings

from servicekit.events import publish_event
from servicekit.management.commands.run_workers import Part, run_together
from servicekit.models import InboxEvent
from servicekit.testing import event_topology
from servicekit.waiting import poll_until
from tests.management.commands import tick
from tests.models import Widget

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
HANDLERS = {"widget.wanted": lambda event: Widget.objects.create(name=event["data"]["name"])}


@pytest.fixture(autouse=True)
def _rounds() -> Iterator[None]:
    tick.ROUNDS.clear()
    tick.FAIL_ROUNDS.clear()
    yield
    tick.ROUNDS.clear()
    tick.FAIL_ROUNDS.clear()


@pytest.fixture
def signals_restored() -> Iterator[None]:
    """run_workers takes SIGTERM and SIGINT; give them back to pytest afterwards."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def _signal_when(condition: Any, number: int = signal.SIGTERM) -> threading.Thread:
    """Send this process `number` once `condition()` holds (from a thread, as the supervisor would)."""

    def send() -> None:
        try:
            poll_until(condition, timeout=30, interval=0.01, message="the condition before the signal")
        finally:
            connections.close_all()  # this thread's, if the condition queried
            os.kill(os.getpid(), number)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_parts_run_in_threads_until_stopped_and_end_together() -> None:
    stop, seen = threading.Event(), set()

    def loop(label: str) -> Any:
        def run(stopped: threading.Event) -> None:
            seen.add((label, threading.current_thread().name))
            stopped.wait()

        return run

    threading.Timer(0.2, stop.set).start()
    ended = run_together([Part("first", loop("a")), Part("second", loop("b"))], stop, grace=5)
    assert ended == []
    assert seen == {("a", "first"), ("b", "second")}


def test_a_part_that_ends_by_itself_stops_the_others_and_is_named() -> None:
    stop, others_stopped = threading.Event(), threading.Event()

    def broken(stopped: threading.Event) -> None:
        raise RuntimeError("a bug")

    def waiting(stopped: threading.Event) -> None:
        stopped.wait()
        others_stopped.set()

    assert run_together([Part("broken", broken), Part("waiting", waiting)], stop, grace=5) == ["broken"]
    assert others_stopped.is_set()


@pytest.mark.django_db(transaction=True)
def test_each_part_has_a_database_connection_of_its_own_closed_as_it_ends() -> None:
    stop = threading.Event()
    backends: dict[str, int] = {}
    wrappers: list[Any] = []

    def query(label: str) -> Any:
        def run(stopped: threading.Event) -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends[label] = cursor.fetchone()[0]
            wrappers.append(connections["default"])  # this thread's own, not the proxy
            stopped.wait()

        return run

    def stop_when_both_queried() -> None:
        poll_until(lambda: len(backends) == 2, timeout=10, interval=0.01)
        stop.set()

    threading.Thread(target=stop_when_both_queried, daemon=True).start()
    assert run_together([Part("one", query("one")), Part("two", query("two"))], stop, grace=5) == []
    assert len(set(backends.values())) == 2
    assert all(wrapper.connection is None for wrapper in wrappers)
    assert connections["default"] not in wrappers


@pytest.mark.django_db(transaction=True)
def test_a_periodic_job_runs_every_interval_and_sigterm_stops_the_process_cleanly(
    signals_restored: None,
) -> None:
    tick.FAIL_ROUNDS.add(2)
    out, err = io.StringIO(), io.StringIO()
    _signal_when(lambda: len(tick.ROUNDS) >= 4)
    call_command("run_workers", "tick:0.01", stdout=out, stderr=err)  # returns: exit status 0
    assert "running tick:0.01" in out.getvalue() and "round 3" in out.getvalue()
    assert "tick: this round failed (ConnectionError)" in err.getvalue()  # and the rounds went on


@pytest.mark.parametrize(
    ("parts", "refusal"),
    [
        (["tick"], "needs its interval"),
        (["tick:0"], "needs its interval"),
        (["nothing_here:5"], "no command"),
        (["prune_events:30"], "not a periodic job"),
        (["tick:1", "tick:1"], "named twice"),
        (["consume_events"], "consumes no events"),
    ],
)
def test_parts_are_checked_before_anything_starts(parts: list[str], refusal: str) -> None:
    with override_settings(EVENT_HANDLERS=""), pytest.raises(CommandError, match=refusal):
        call_command("run_workers", *parts)
    assert tick.ROUNDS == []


@pytest.fixture
def topology() -> Iterator[dict[str, str]]:
    """A fresh exchange and queue, with this module's handlers; deleted afterwards."""
    with event_topology(max_attempts=2, retry_delays=[0.1], handlers="tests.test_run_workers.HANDLERS") as made:
        yield made


@pytest.mark.django_db(transaction=True)
def test_the_relay_the_consumer_and_a_job_together_carry_an_event_through(
    topology: dict[str, str], signals_restored: None
) -> None:
    call_command("consume_events", "--declare", stdout=io.StringIO())
    with transaction.atomic():
        event = publish_event("widget.wanted", {"name": "from-the-outbox"})
    started = time.monotonic()
    _signal_when(lambda: InboxEvent.objects.filter(event_id=event.event_id).exists() and bool(tick.ROUNDS))
    call_command("run_workers", "relay_events", "consume_events", "tick:5", stdout=io.StringIO())
    assert Widget.objects.filter(name="from-the-outbox").count() == 1
    assert time.monotonic() - started < 20  # stopped promptly: no part waited out its interval
