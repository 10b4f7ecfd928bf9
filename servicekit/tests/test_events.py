"""The outbox, the relay and the consumer against the real RabbitMQ, each test on its own exchange and queues."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import kombu
import pytest
from django.db import connection, transaction
from django.test import override_settings

from servicekit import events
from servicekit.events import Consumer, Relay, broker, publish_event, wait_for
from servicekit.models import DeadLetter, InboxEvent, OutboxEvent
from servicekit.testing import TcpProxy, event_topology, run_concurrently
from tests.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)

BROKER = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def names() -> Iterator[dict[str, str]]:
    """A fresh exchange and consumer queue for the test; deleted afterwards with every queue it made."""
    with event_topology(max_attempts=3, retry_delays=[0.1, 0.2]) as made:
        yield made


def _publish(event_type: str, data: dict[str, Any], aggregate: str = "") -> OutboxEvent:
    with transaction.atomic():
        return publish_event(event_type, data, aggregate=aggregate)


def _drain(queue: str, *, expected: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Take every message from `queue` (acknowledging them) until `expected` arrived or time runs out."""
    bodies: list[dict[str, Any]] = []
    with kombu.Connection(BROKER) as conn:
        simple = conn.SimpleQueue(kombu.Queue(queue, durable=True, no_declare=True))
        try:
            while len(bodies) < expected:
                message = simple.get(block=True, timeout=timeout)
                bodies.append(message.payload)
                message.ack()
        except simple.Empty:
            pass
        finally:
            simple.close()
    return bodies


def _queue_depth(queue: str) -> int:
    with kombu.Connection(BROKER) as conn:
        return int(conn.channel().queue_declare(queue, passive=True).message_count)


def _declare(names: dict[str, str], *event_types: str) -> Consumer:
    consumer = Consumer(dict.fromkeys(event_types or ("thing.happened",), _make_widget))
    consumer.declare()
    return consumer


def _make_widget(event: dict[str, Any]) -> None:
    Widget.objects.create(name=str(event["data"].get("name", "w"))[:20])


@pytest.fixture
def running() -> Iterator[Callable[[Consumer], threading.Event]]:
    """Run consumers in threads; stop them all at the end of the test."""
    stops: list[tuple[threading.Event, threading.Thread]] = []

    def start(consumer: Consumer) -> threading.Event:
        stop = threading.Event()

        def target() -> None:
            try:
                consumer.run(stop)
            finally:
                connection.close()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        stops.append((stop, thread))
        return stop

    yield start
    for stop, thread in stops:
        stop.set()
        thread.join(timeout=10)


def test_publish_event_needs_the_callers_transaction(names: dict[str, str]) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        publish_event("thing.happened", {})


def test_a_rolled_back_change_publishes_nothing(names: dict[str, str]) -> None:
    _declare(names)

    @transaction.atomic
    def change_that_fails() -> None:
        Widget.objects.create(name="never")
        publish_event("thing.happened", {"name": "never"})
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_that_fails()
    assert not OutboxEvent.objects.exists()
    assert Relay().run_once() == 0
    assert _drain(names["queue"], expected=1, timeout=0.5) == []


def test_the_relay_publishes_pending_events_in_order_with_their_envelope(names: dict[str, str]) -> None:
    _declare(names)
    written = [_publish("thing.happened", {"n": n}, aggregate="thing:1") for n in range(5)]
    relay = Relay()
    assert relay.run_once() == 1  # one aggregate: only its oldest pending event per batch
    while relay.run_once():
        pass
    relay.close()
    received = _drain(names["queue"], expected=5)
    assert [body["data"]["n"] for body in received] == [0, 1, 2, 3, 4]
    assert received[0]["id"] == str(written[0].event_id)
    assert received[0]["type"] == "thing.happened" and received[0]["producer"] == "kit" and received[0]["occurred_at"]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_several_relays_at_once_publish_each_event_once_and_each_aggregate_in_order(names: dict[str, str]) -> None:
    _declare(names)
    for n in range(20):
        for aggregate in ("a", "b", "c"):
            _publish("thing.happened", {"aggregate": aggregate, "n": n}, aggregate=aggregate)
    for n in range(30):
        _publish("thing.happened", {"aggregate": "", "n": n})

    def relay_until_empty() -> None:
        relay = Relay(batch=7)
        try:
            while wait_for(lambda: relay.run_once() > 0, timeout=0.5):
                pass
        finally:
            relay.close()

    assert run_concurrently(relay_until_empty, 3) == [None] * 3

    received = _drain(names["queue"], expected=90)
    assert len(received) == 90 and len({body["id"] for body in received}) == 90
    for aggregate in ("a", "b", "c"):
        sequence = [body["data"]["n"] for body in received if body["data"]["aggregate"] == aggregate]
        assert sequence == list(range(20)), aggregate


def test_events_wait_in_the_outbox_while_the_broker_is_away(names: dict[str, str]) -> None:
    _declare(names)
    proxy = TcpProxy("127.0.0.1", 5672).start()
    try:
        with override_settings(EVENTS_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}//"):
            relay = Relay()
            _publish("thing.happened", {"n": 0})
            assert relay.run_once() == 1
            proxy.stop()  # the broker goes away: writes go on, events wait
            for n in range(1, 4):
                _publish("thing.happened", {"n": n})
            with pytest.raises(broker._broker_errors()):
                relay.run_once()
            assert events.check_broker() == "unreachable"
            assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 3
            proxy.start()  # back: everything pending goes out
            assert wait_for(lambda: relay.run_once() == 3, timeout=5)
            relay.close()
            assert events.check_broker() is None
    finally:
        proxy.stop()
    assert sorted(body["data"]["n"] for body in _drain(names["queue"], expected=4)) == [0, 1, 2, 3]


def test_the_relay_loop_backs_off_and_recovers_by_itself(names: dict[str, str]) -> None:
    _declare(names)
    proxy = TcpProxy("127.0.0.1", 5672)
    proxy.start()
    proxy.stop()
    with override_settings(EVENTS_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}//"):
        _publish("thing.happened", {"n": 1})
        stop = threading.Event()

        def target() -> None:
            try:
                Relay().run(stop)
            finally:
                connection.close()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        try:
            assert not wait_for(lambda: OutboxEvent.objects.filter(published_at__isnull=False).exists(), timeout=1)
            proxy.start()
            assert wait_for(lambda: OutboxEvent.objects.filter(published_at__isnull=False).exists(), timeout=10)
        finally:
            stop.set()
            thread.join(timeout=10)
            proxy.stop()
    assert [body["data"]["n"] for body in _drain(names["queue"], expected=1)] == [1]


def test_the_consumer_handles_each_event_once_even_when_delivered_twice(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    consumer = _declare(names)
    event = _publish("thing.happened", {"name": "once"})
    with kombu.Connection(BROKER) as conn:
        producer = kombu.Producer(conn.channel())
        for _ in range(2):  # the same event twice, as a redelivery after a lost ack would be
            producer.publish(event.envelope(), exchange="", routing_key=names["queue"], serializer="json")
    running(consumer)
    assert wait_for(lambda: _queue_depth(names["queue"]) == 0 and Widget.objects.exists(), timeout=10)
    assert wait_for(lambda: _queue_depth(names["queue"]) == 0, timeout=5)
    assert Widget.objects.filter(name="once").count() == 1
    assert InboxEvent.objects.filter(event_id=event.event_id).count() == 1


def test_events_wait_in_the_queue_while_the_consumer_is_stopped(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    consumer = _declare(names)
    for n in range(10):
        _publish("thing.happened", {"name": f"w{n}"})
    relay = Relay()
    while relay.run_once():
        pass
    relay.close()
    assert _queue_depth(names["queue"]) == 10  # nobody is consuming: they wait
    running(consumer)
    assert wait_for(lambda: Widget.objects.count() == 10, timeout=10)


def test_a_message_that_always_fails_is_dead_lettered_and_the_queue_keeps_flowing(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    calls: list[str] = []

    def poison(event: dict[str, Any]) -> None:
        calls.append(event["id"])
        Widget.objects.create(name="rolled back")
        raise ValueError("this event can never be handled")

    consumer = Consumer({"thing.poison": poison, "thing.happened": _make_widget})
    consumer.declare()
    bad = _publish("thing.poison", {})
    good = _publish("thing.happened", {"name": "after"})
    relay = Relay()
    while relay.run_once():
        pass
    relay.close()
    running(consumer)

    assert wait_for(lambda: DeadLetter.objects.exists(), timeout=10)
    letter = DeadLetter.objects.get()
    assert letter.event_id == str(bad.event_id) and letter.attempts == 3 and "never be handled" in letter.error
    # The first try and two retries, each after its delay; the first try runs twice when the bad
    # event arrived with the good one (in their batch, then alone).
    assert set(calls) == {str(bad.event_id)} and len(calls) in (3, 4)
    assert wait_for(lambda: _queue_depth(f"{names['queue']}.dead") == 1, timeout=5)
    assert Widget.objects.filter(name="after").exists()  # the good event was not held up
    assert not Widget.objects.filter(name="rolled back").exists()  # a failed handler's writes roll back
    assert not InboxEvent.objects.filter(event_id=bad.event_id).exists()
    assert InboxEvent.objects.filter(event_id=good.event_id).exists()

    # Retried from the admin (say, after a fix), it gets a fresh round of attempts.
    consumer.handlers["thing.poison"] = _make_widget
    assert events.retry_dead_letters(DeadLetter.objects.all()) == 1
    assert wait_for(lambda: InboxEvent.objects.filter(event_id=bad.event_id).exists(), timeout=10)


def test_a_handler_that_fails_once_succeeds_on_the_retry(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    failures = [ConnectionError("a dependency blinked")]

    def flaky(event: dict[str, Any]) -> None:
        _make_widget(event)
        if failures:
            raise failures.pop()

    consumer = Consumer({"thing.happened": flaky})
    consumer.declare()
    _publish("thing.happened", {"name": "eventually"})
    relay = Relay()
    relay.run_once()
    relay.close()
    running(consumer)
    assert wait_for(lambda: Widget.objects.filter(name="eventually").exists(), timeout=10)
    assert Widget.objects.count() == 1 and not DeadLetter.objects.exists()


def test_a_malformed_message_goes_straight_to_the_dead_letters(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    consumer = _declare(names)
    with kombu.Connection(BROKER) as conn:
        kombu.Producer(conn.channel()).publish(
            {"no": "envelope"}, exchange="", routing_key=names["queue"], serializer="json"
        )
    running(consumer)
    assert wait_for(lambda: DeadLetter.objects.exists(), timeout=10)
    assert DeadLetter.objects.get().attempts == 1


def test_a_message_that_is_not_json_is_dead_lettered_and_the_consumer_lives_on(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    consumer = _declare(names)
    with kombu.Connection(BROKER) as conn:
        producer = kombu.Producer(conn.channel())
        producer.publish(b"\x00 not json", exchange="", routing_key=names["queue"], content_type="text/plain")
        producer.publish(b'{"broken": ', exchange="", routing_key=names["queue"], content_type="application/json")
    good = _publish("thing.happened", {"name": "survivor"})
    relay = Relay()
    relay.run_once()
    relay.close()
    running(consumer)
    assert wait_for(lambda: Widget.objects.filter(name="survivor").exists(), timeout=10)
    assert wait_for(lambda: DeadLetter.objects.count() == 2, timeout=5)
    assert all("undecodable" in letter.error for letter in DeadLetter.objects.all())
    assert InboxEvent.objects.filter(event_id=good.event_id).exists()


def test_a_garbled_attempts_header_counts_as_a_first_attempt(
    names: dict[str, str], running: Callable[[Consumer], threading.Event]
) -> None:
    consumer = _declare(names)
    event = _publish("thing.happened", {"name": "garbled"})
    with kombu.Connection(BROKER) as conn:
        kombu.Producer(conn.channel()).publish(
            event.envelope(), exchange="", routing_key=names["queue"], serializer="json", headers={"x-attempts": "x"}
        )
    running(consumer)
    assert wait_for(lambda: Widget.objects.filter(name="garbled").exists(), timeout=10)


def test_readiness_reports_the_broker(names: dict[str, str], api_client: Any) -> None:
    response = api_client.get("/kit/ready/")
    assert response.status_code == 200 and response.json()["checks"]["broker"] == "ok"
    with override_settings(EVENTS_BROKER_URL="amqp://guest:guest@127.0.0.1:1//", EVENTS_CONNECT_TIMEOUT=0.5):
        response = api_client.get("/kit/ready/")
    assert response.status_code == 503 and response.json()["checks"]["broker"] == "unreachable"


def test_prune_events_keeps_pending_and_recent_rows(names: dict[str, str]) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    old = timezone.now() - timedelta(days=8)
    published_long_ago, pending_long_ago, recent = (_publish("thing.happened", {}) for _ in range(3))
    OutboxEvent.objects.filter(id=published_long_ago.id).update(published_at=old, occurred_at=old)
    OutboxEvent.objects.filter(id=pending_long_ago.id).update(occurred_at=old)
    OutboxEvent.objects.filter(id=recent.id).update(published_at=timezone.now())
    InboxEvent.objects.create(event_id=uuid.uuid4(), event_type="x", received_at=timezone.now() - timedelta(days=31))
    kept = InboxEvent.objects.create(event_id=uuid.uuid4(), event_type="x")
    call_command("prune_events")
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {pending_long_ago.id, recent.id}
    assert list(InboxEvent.objects.values_list("event_id", flat=True)) == [kept.event_id]


def test_a_periodic_job_reports_a_failing_round_and_carries_on() -> None:
    import io

    from servicekit.jobs import PeriodicCommand

    rounds: list[int] = []

    class Job(PeriodicCommand):
        def run_once(self) -> dict[str, int]:
            rounds.append(1)
            if len(rounds) == 1:
                raise ConnectionError("the database is restarting")
            if len(rounds) == 3:
                raise KeyboardInterrupt  # stop the loop, as SIGINT would
            return {"settled": 2}

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        Job(stdout=out, stderr=err).handle(every=0.01)
    assert "this round failed (ConnectionError)" in err.getvalue()
    assert "done: {'settled': 2}" in out.getvalue()
    rounds.clear()
    with pytest.raises(ConnectionError):  # run once, a failure is the command's failure
        Job(stdout=out, stderr=err).handle(every=0)
