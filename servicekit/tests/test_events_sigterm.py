"""SIGTERM to a relay and a consumer mid-work, as real processes on the real broker and database.

The processes are started the way the stack starts them (`manage.py run_workers relay_events
consume_events`, or `relay_events` and `consume_events` each alone), given a backlog, and sent
SIGTERM while they work through it. Each must exit 0 within STOP_BOUND seconds, having
committed whole batches only and acknowledged only what it committed; started again, they deliver
the rest, and no event is handled twice.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kombu
import pytest
from django.core.management import call_command
from django.db import connection, transaction

from servicekit.events import publish_event
from servicekit.models import InboxEvent, OutboxEvent
from servicekit.testing import event_topology
from servicekit.waiting import poll_until
from tests.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
EVENTS = 1500
STOP_BOUND = 15.0  # seconds: the relay's confirm wait (10 s) is the longest a batch can take
KIT = Path(__file__).resolve().parent.parent


def make_widget(envelope: dict[str, Any]) -> None:
    """The handler: one widget per event, a little slow, so that a backlog takes seconds to go through."""
    time.sleep(0.002)
    Widget.objects.create(name=envelope["data"]["name"])


HANDLERS = {"widget.wanted": make_widget}

LAYOUTS = {
    "run_workers": [["run_workers", "relay_events", "consume_events"]],
    "relay and consumer alone": [["relay_events"], ["consume_events"]],
}


@pytest.fixture
def topology() -> Iterator[dict[str, str]]:
    """A fresh exchange and queue for this test, declared before anything is published; deleted afterwards."""
    with event_topology(max_attempts=2, retry_delays=[0.1], handlers="tests.test_events_sigterm.HANDLERS") as names:
        call_command("consume_events", "--declare", stdout=io.StringIO())
        yield names


def _environment(names: dict[str, str]) -> dict[str, str]:
    """The processes' environment: this test's database (the test database) and its exchange and queue."""
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}"
        f":{database['PORT'] or 5432}/{database['NAME']}"
    )
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(KIT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SERVICEKIT_TEST_DATABASE_URL": url,
        "BROKER_URL": BROKER,
        "EVENTS_EXCHANGE": names["exchange"],
        "EVENTS_QUEUE": names["queue"],
        "EVENTS_MAX_ATTEMPTS": "2",
        "EVENTS_RETRY_DELAYS": "0.1",
        "EVENT_HANDLERS": "tests.test_events_sigterm.HANDLERS",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def _started(layout: list[list[str]], names: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The layout's processes, running; any still running when the block ends (a failed test) is killed."""
    environment = _environment(names)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "django", *command],
            cwd=KIT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for command in layout
    ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _terminate(processes: list[subprocess.Popen[bytes]]) -> list[tuple[int, str]]:
    """SIGTERM every process at once; (exit status, output) of each, once all have exited (or STOP_BOUND passed)."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    results = []
    for process in processes:
        try:
            output, _ = process.communicate(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            results.append((-1, f"still running {STOP_BOUND:.0f} s after SIGTERM\n" + output.decode(errors="replace")))
            continue
        results.append((process.returncode, output.decode(errors="replace")))
    return results


def _waiting_in_queue(queue: str) -> int:
    with kombu.Connection(BROKER) as conn:
        return int(conn.channel().queue_declare(queue, passive=True).message_count)


@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=list(LAYOUTS))
def test_sigterm_mid_work_stops_cleanly_and_a_restart_delivers_the_rest_once(
    topology: dict[str, str], layout: list[list[str]]
) -> None:
    with transaction.atomic():
        for number in range(EVENTS):
            publish_event("widget.wanted", {"name": f"w{number}"})
    with _started(layout, topology) as processes:
        poll_until(lambda: InboxEvent.objects.count() >= 50, timeout=60, interval=0.02, message="work under way")
        stopped = _terminate(processes)

    assert [status for status, _ in stopped] == [0] * len(processes), stopped
    handled, published = InboxEvent.objects.count(), OutboxEvent.objects.filter(published_at__isnull=False).count()
    assert handled < EVENTS, "the backlog was gone before the signal: nothing was stopped mid-work"
    # Each event handled in the same transaction as its inbox row: never one without the other.
    assert Widget.objects.count() == handled
    # Acknowledged only once committed: every event stamped published is handled or back in the queue.
    assert handled + _waiting_in_queue(topology["queue"]) >= published

    with _started(layout, topology) as restarted:
        poll_until(
            lambda: InboxEvent.objects.count() == EVENTS and not OutboxEvent.objects.filter(published_at=None).exists(),
            timeout=120, interval=0.1, message="every event delivered after the restart",
        )  # fmt: skip
        assert [status for status, _ in _terminate(restarted)] == [0] * len(restarted)
    names = list(Widget.objects.values_list("name", flat=True))
    assert len(names) == EVENTS and len(set(names)) == EVENTS  # each event handled once: none lost, none twice
