"""Batches: the consumer's one transaction and one ack per batch, the relay's LISTEN wake-up."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import kombu
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicekit.events import Consumer, Relay, wait_for
from servicekit.models import DeadLetter, InboxEvent, OutboxEvent
from tests import test_events
from tests.models import Widget
from tests.test_events import BROKER, _declare, _make_widget, _publish, _queue_depth

names, running = test_events.names, test_events.running  # the same fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _envelope(event_type: str = "thing.happened", **data: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": event_type, "occurred_at": "", "producer": "test", "data": data}


def _send(queue: str, *bodies: dict[str, Any]) -> None:
    with kombu.Connection(BROKER) as conn:
        producer = kombu.Producer(conn.channel())
        for body in bodies:
            producer.publish(body, exchange="", routing_key=queue, serializer="json")


def test_a_batch_is_one_transaction_with_one_inbox_insert_and_dedupes_within_it(names: dict[str, str]) -> None:
    consumer = Consumer({"thing.happened": _make_widget})
    events = [_envelope(name=f"w{n}") for n in range(5)]
    InboxEvent.objects.create(event_id=events[0]["id"], event_type="thing.happened")  # seen before
    with CaptureQueriesContext(connection) as queries:
        assert consumer.handle_batch([*events, events[1]]) == 4  # events[1] twice in the batch
    assert sorted(Widget.objects.values_list("name", flat=True)) == ["w1", "w2", "w3", "w4"]
    inserts = [q["sql"] for q in queries.captured_queries if "servicekit_inboxevent" in q["sql"]]
    assert len(inserts) == 1


def test_a_batch_aware_handler_gets_the_run_of_its_events(names: dict[str, str]) -> None:
    runs: list[list[str]] = []

    class Many:
        def __call__(self, event: dict[str, Any]) -> None:
            runs.append([event["data"]["n"]])

        def handle_many(self, events: list[dict[str, Any]]) -> None:
            runs.append([event["data"]["n"] for event in events])

    many = Many()
    consumer = Consumer({"a": many, "b": many, "c": lambda event: runs.append(["c"])})
    batch = [_envelope("a", n=1), _envelope("b", n=2), _envelope("c"), _envelope("a", n=3)]
    consumer.handle_batch(batch)
    assert runs == [[1, 2], ["c"], [3]]


def test_one_poison_event_in_a_batch_is_isolated_and_the_others_are_applied_once(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    calls: list[str] = []

    def handler(event: dict[str, Any]) -> None:
        calls.append(event["data"]["name"])
        if event["data"]["name"] == "poison":
            raise ValueError("never")
        _make_widget(event)

    consumer = Consumer({"thing.happened": handler})
    consumer.declare()
    bodies = [_envelope(name=f"g{n}") for n in range(4)]
    bodies.insert(2, _envelope(name="poison"))
    _send(names["queue"], *bodies)  # queued before the consumer starts: they arrive as one batch
    running(consumer)
    assert wait_for(lambda: DeadLetter.objects.exists(), timeout=10)
    assert sorted(Widget.objects.values_list("name", flat=True)) == ["g0", "g1", "g2", "g3"]
    assert InboxEvent.objects.count() == 4 and DeadLetter.objects.get().attempts == 3
    assert calls.count("poison") in (3, 4)  # alone three times (plus once in its rolled-back batch)
    assert wait_for(lambda: _queue_depth(names["queue"]) == 0, timeout=5)


class _CrashAfterCommit(Consumer):
    """Dies between the commit of a batch and its ack, once."""

    crashed = False

    def _acknowledge(self, messages: list[Any]) -> None:
        if not type(self).crashed:
            type(self).crashed = True
            raise ConnectionError("killed between commit and ack")
        super()._acknowledge(messages)


def test_a_batch_committed_but_not_acknowledged_is_redelivered_and_skipped(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    applied: list[str] = []

    def handler(event: dict[str, Any]) -> None:
        applied.append(event["id"])
        _make_widget(event)

    consumer = _CrashAfterCommit({"thing.happened": handler})
    consumer.declare()
    bodies = [_envelope(name=f"w{n}") for n in range(6)]
    _send(names["queue"], *bodies)
    running(consumer)
    assert wait_for(lambda: _CrashAfterCommit.crashed and _queue_depth(names["queue"]) == 0, timeout=15)
    assert wait_for(lambda: Widget.objects.count() == 6, timeout=5)
    time.sleep(0.5)
    assert Widget.objects.count() == 6 and sorted(applied) == sorted(body["id"] for body in bodies)
    assert InboxEvent.objects.count() == 6


def test_an_idle_relay_is_woken_by_the_outbox_insert_long_before_its_fallback_poll(names: dict[str, str]) -> None:
    _declare(names)
    relay = Relay(linger=0, fallback=60)
    stop = threading.Event()
    asleep = threading.Event()
    sleep = relay.sleep

    def sleeping(stop: threading.Event) -> bool:
        asleep.set()
        return sleep(stop)

    relay.sleep = sleeping  # type: ignore[method-assign]

    def target() -> None:
        try:
            relay.run(stop)
        finally:
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        assert asleep.wait(10)
        time.sleep(0.3)  # past the second look: only a NOTIFY can wake it now, or the 60 s fallback
        _publish("thing.happened", {"n": 1})
        assert wait_for(lambda: OutboxEvent.objects.filter(published_at__isnull=False).exists(), timeout=10)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()  # stopped between waits on `stop`, well before the fallback
    with connection.cursor() as cursor:  # asleep no more: producers NOTIFY for nobody
        cursor.execute("SELECT count(*) FROM servicekit_outbox_listener")
        assert cursor.fetchone()[0] == 0


def test_a_producer_notifies_only_while_a_relay_sleeps(names: dict[str, str]) -> None:
    import psycopg

    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute("LISTEN servicekit_outbox")
        _publish("thing.happened", {})
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []  # no relay asleep: no NOTIFY
        listener.execute("INSERT INTO servicekit_outbox_listener (pid) VALUES (pg_backend_pid())")
        try:
            _publish("thing.happened", {})
            assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1
        finally:
            listener.execute("DELETE FROM servicekit_outbox_listener")


def test_the_relay_publishes_a_batch_in_one_transaction_with_one_select_and_one_update(names: dict[str, str]) -> None:
    _declare(names)
    for n in range(10):
        _publish("thing.happened", {"n": n})
    relay = Relay()
    with CaptureQueriesContext(connection) as queries:
        assert relay.run_once() == 10
    relay.close()
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["BEGIN", "SELECT", "UPDATE", "COMMIT"]


@pytest.fixture(autouse=True)
def _reset_crash() -> None:
    _CrashAfterCommit.crashed = False
