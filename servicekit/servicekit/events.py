"""Events between services: a transactional outbox, a relay to RabbitMQ, and consumers with an inbox.

A producer calls `publish_event(type, data)` inside the transaction that makes the change: the
event is a row of its own database, committed (or rolled back) with the change. `manage.py
relay_events` publishes pending rows to a topic exchange with publisher confirms and marks them
sent; several relays may run at once, and events of one aggregate leave in the order they were
written. A consumer (`manage.py consume_events`) handles each message in a transaction that also
records the event id in an inbox, acknowledges only after that commit, skips an event it has
seen, retries a failing one with growing delays through retry queues, and moves it to a
dead-letter queue (and a DeadLetter row) after EVENTS_MAX_ATTEMPTS.

Envelope: ``{"id", "type", "occurred_at", "producer", "data"}``; the routing key is the type.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import kombu
from django.conf import settings
from django.db import InterfaceError, close_old_connections, connection, transaction
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from servicekit.models import DeadLetter, InboxEvent, OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]


def publish_event(event_type: str, data: dict[str, Any], *, aggregate: str = "") -> OutboxEvent:
    """Record an event in the outbox as part of the caller's transaction.

    It is published only if that transaction commits. `aggregate` (e.g. "account:<id>") keeps
    the events of one thing in order; events without one may overtake each other.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("publish_event must run inside the transaction that makes the change")
    return OutboxEvent.objects.create(
        event_type=event_type, aggregate=aggregate, data=data, producer=settings.SERVICE_NAME
    )


def broker_connection() -> kombu.Connection:
    """A connection to the broker; publishes on it wait for the broker's confirm."""
    return kombu.Connection(
        settings.EVENTS_BROKER_URL,
        connect_timeout=settings.EVENTS_CONNECT_TIMEOUT,
        transport_options={"confirm_publish": True},
        heartbeat=30,  # kept alive by heartbeat_check() in the relay and consumer loops
    )


def events_exchange() -> kombu.Exchange:
    return kombu.Exchange(settings.EVENTS_EXCHANGE, type="topic", durable=True)


def check_broker() -> str | None:
    """Return None when the broker accepts a connection, else a short reason (for /ready/)."""
    try:
        with broker_connection() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.EVENTS_CONNECT_TIMEOUT)
    except _broker_errors() as error:
        logger.warning("readiness: broker unreachable", extra={"error": type(error).__name__})
        return "unreachable"
    return None


@functools.cache
def _broker_errors() -> tuple[type[BaseException], ...]:
    """What a lost or refused broker connection raises (the transport's errors, sockets, timeouts)."""
    return (OSError, KombuOperationalError, *kombu.Connection("amqp://").connection_errors)


CONFIRM_TIMEOUT = 10.0  # seconds to wait for the broker to confirm one publish


def _backoff(attempt: int, *, start: float = 0.5, ceiling: float = 30.0) -> float:
    return float(min(ceiling, start * 2 ** min(attempt, 16)))


# Only the head of each aggregate's queue is taken (rows without an aggregate are independent),
# and rows another relay holds are skipped: several relays at once keep each aggregate in order.
_PENDING = f"""
SELECT id FROM {OutboxEvent._meta.db_table} AS pending
WHERE pending.published_at IS NULL
  AND (pending.aggregate = '' OR NOT EXISTS (
        SELECT 1 FROM {OutboxEvent._meta.db_table} AS earlier
        WHERE earlier.aggregate = pending.aggregate AND earlier.published_at IS NULL AND earlier.id < pending.id))
ORDER BY pending.id
LIMIT %s
FOR UPDATE SKIP LOCKED
"""  # noqa: S608 - a fixed table name


class Relay:
    """Publishes the outbox to the exchange: `run_once` for one batch, `run` until stopped."""

    def __init__(self, *, batch: int = 200) -> None:
        self.batch = batch
        self.exchange = events_exchange()
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def _ensure_producer(self) -> kombu.Producer:
        if self._producer is None:
            self._connection = broker_connection()
            self._connection.ensure_connection(max_retries=1, timeout=settings.EVENTS_CONNECT_TIMEOUT)
            self._producer = kombu.Producer(self._connection.channel(), exchange=self.exchange)
            self.exchange(self._producer.channel).declare()
        else:
            assert self._connection is not None
            self._connection.heartbeat_check()
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection may fail in many ways
                logger.debug("closing the broker connection failed", exc_info=True)
        self._connection = self._producer = None

    def run_once(self) -> int:
        """Publish one batch of pending events; return how many were published.

        A broker error is raised after the events confirmed so far are marked published (the
        rest stay pending, to be sent again: delivery is at least once).
        """
        published: list[int] = []
        failure: BaseException | None = None
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_PENDING, [self.batch])
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return 0
            try:
                producer = self._ensure_producer()
                for event in OutboxEvent.objects.filter(id__in=ids).order_by("id"):
                    producer.publish(
                        event.envelope(),
                        routing_key=event.event_type,
                        serializer="json",
                        delivery_mode=2,
                        message_id=str(event.event_id),
                        retry=False,
                        timeout=CONFIRM_TIMEOUT,  # a broker that blocks publishers must not hold these rows forever
                    )
                    published.append(event.id)
            except Exception as error:  # a nack, a lost connection: what was confirmed is still recorded
                failure = error
            if published:
                OutboxEvent.objects.filter(id__in=published).update(published_at=timezone.now())
        if failure is not None:
            self.close()
            raise failure
        return len(published)

    def run(self, stop: threading.Event, *, idle: float = 0.1) -> None:
        """Publish until `stop` is set, backing off while the broker is away."""
        failures = 0
        while not stop.is_set():
            try:
                sent = self.run_once()
                failures = 0
            except Exception as error:  # broker or database away: back off, never die
                delay = _backoff(failures)
                failures += 1
                logger.warning(
                    "relay: broker or database unavailable, retrying",
                    extra={"error": type(error).__name__, "delay": delay},
                )
                close_old_connections()
                stop.wait(delay)
                continue
            if sent < self.batch:
                stop.wait(idle)
                close_old_connections()
        self.close()


@dataclass(frozen=True)
class Topology:
    """The queues of one consumer: the main queue, one retry queue per delay, the dead-letter queue."""

    queue: str
    event_types: tuple[str, ...]
    retry_delays: tuple[float, ...]

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dead"

    def retry_queue(self, attempt: int) -> str:
        """The queue a message waits in before its attempt `attempt + 1`; named by its delay, so that
        changing EVENTS_RETRY_DELAYS declares new queues instead of clashing with the old ones."""
        return f"{self.queue}.retry.{int(self.retry_delays[attempt - 1] * 1000)}ms"

    def declare(self, channel: Any) -> kombu.Queue:
        exchange = events_exchange()
        exchange(channel).declare()
        main = kombu.Queue(self.queue, exchange=exchange, routing_key=self.event_types[0], durable=True)
        main = main(channel)
        main.declare()
        for event_type in self.event_types[1:]:
            main.bind_to(exchange=exchange, routing_key=event_type)
        for attempt, delay in enumerate(self.retry_delays, start=1):
            # A message waits here for its delay, then the broker sends it back to the main queue.
            kombu.Queue(
                self.retry_queue(attempt),
                durable=True,
                queue_arguments={
                    "x-message-ttl": int(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue,
                },
            )(channel).declare()
        kombu.Queue(self.dead_letter_queue, durable=True)(channel).declare()
        return main


class Consumer:
    """Handles the events of `handlers` ({type: function(envelope)}) from the service's queue."""

    def __init__(self, handlers: dict[str, Handler], *, queue: str | None = None, prefetch: int = 20) -> None:
        if not handlers:
            raise ValueError("a consumer needs at least one handler")
        self.handlers = handlers
        self.prefetch = prefetch
        self.max_attempts = settings.EVENTS_MAX_ATTEMPTS
        self.topology = Topology(
            queue=queue or settings.EVENTS_QUEUE,
            event_types=tuple(sorted(handlers)),
            retry_delays=tuple(settings.EVENTS_RETRY_DELAYS[: max(0, self.max_attempts - 1)]),
        )

    def declare(self) -> None:
        """Declare the exchange and queues, so that events published from now on wait for this consumer."""
        with broker_connection() as conn:
            conn.ensure_connection(max_retries=3, timeout=settings.EVENTS_CONNECT_TIMEOUT)
            self.topology.declare(conn.default_channel)

    def handle(self, envelope: dict[str, Any]) -> bool:
        """Apply one event exactly once: False if its id was already in the inbox."""
        with transaction.atomic():
            created = _inbox_insert(envelope)
            if created:
                self.handlers[envelope["type"]](envelope)
        return created

    def _republish(self, producer: kombu.Producer, envelope: Any, queue: str, headers: dict[str, Any]) -> None:
        producer.publish(
            envelope, exchange="", routing_key=queue, serializer="json", delivery_mode=2, headers=headers, retry=False
        )

    def on_message(self, producer: kombu.Producer, body: Any, message: Any) -> None:
        """Handle one delivery; on failure pass it to the next retry queue, or to the dead letters."""
        attempts = _attempts(message) + 1
        if not _valid_envelope(body) or body["type"] not in self.handlers:
            self._dead_letter(producer, body, "not an event envelope this consumer handles", attempts)
        else:
            try:
                self.handle(body)
            except (DatabaseOperationalError, InterfaceError):
                # Our own database is away: not the event's fault. Put it back and wait a moment.
                logger.warning("database unavailable; the event goes back to the queue", extra={"event_id": body["id"]})
                close_old_connections()
                time.sleep(1.0)
                message.requeue()
                return
            except Exception as error:  # any failure of a handler is retried, then dead-lettered
                reason = f"{type(error).__name__}: {error}"[:1000]
                if attempts > len(self.topology.retry_delays):
                    self._dead_letter(producer, body, reason, attempts)
                else:
                    logger.warning("event failed, retrying later", extra={"event_id": body["id"], "attempt": attempts})
                    self._republish(producer, body, self.topology.retry_queue(attempts), {"x-attempts": attempts})
        message.ack()  # only after the handler's transaction committed, or the event was passed on

    def on_undecodable(self, producer: kombu.Producer, message: Any, error: Exception) -> None:
        """A body that is not JSON (or not allowed) can never be handled: straight to the dead letters."""
        raw = message.body.decode("utf-8", "replace") if isinstance(message.body, bytes) else str(message.body)
        raw = raw.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
        self._dead_letter(producer, {"raw": raw[:10_000]}, f"undecodable message: {error}"[:1000], 1)
        message.ack()

    def _dead_letter(self, producer: kombu.Producer, body: Any, reason: str, attempts: int) -> None:
        logger.error("event dead-lettered", extra={"event_id": _event_id(body), "error": reason})
        headers = {"x-attempts": attempts, "x-error": reason}
        self._republish(producer, body, self.topology.dead_letter_queue, headers)
        _record_dead_letter(body, reason, attempts, self.topology.queue)

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, reconnecting with backoff while the broker (or database) is away."""
        failures = 0
        while not stop.is_set():
            try:
                # Retries and dead letters are published on a connection of their own, so that
                # waiting for their confirms never interleaves with deliveries on this one.
                with broker_connection() as conn, broker_connection() as publishing:
                    conn.ensure_connection(max_retries=1, timeout=settings.EVENTS_CONNECT_TIMEOUT)
                    channel = conn.channel()
                    channel.basic_qos(0, self.prefetch, False)
                    queue = self.topology.declare(channel)
                    producer = kombu.Producer(publishing.channel())
                    consumer = kombu.Consumer(
                        channel,
                        queues=[queue],
                        accept=["json"],
                        callbacks=[functools.partial(self.on_message, producer)],
                        on_decode_error=functools.partial(self.on_undecodable, producer),
                    )
                    with consumer:
                        failures = 0
                        logger.info("consuming", extra={"queue": self.topology.queue})
                        while not stop.is_set():
                            try:
                                conn.drain_events(timeout=1)
                            except TimeoutError:
                                close_old_connections()
                            conn.heartbeat_check()
                            publishing.heartbeat_check()
            except Exception as error:  # a long-running worker never dies of a passing failure
                delay = _backoff(failures)
                failures += 1
                logger.warning(
                    "consumer: broker or database unavailable, retrying",
                    extra={"error": type(error).__name__, "delay": delay},
                )
                close_old_connections()
                stop.wait(delay)


def _attempts(message: Any) -> int:
    try:
        return max(0, int(dict(message.headers or {}).get("x-attempts", 0)))
    except (TypeError, ValueError):
        return 0


def _valid_envelope(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not isinstance(body.get("data"), dict):
        return False
    try:
        uuid.UUID(str(body.get("id")))
    except ValueError:
        return False
    return True


def _event_id(body: Any) -> str:
    return str(body.get("id") or "") if isinstance(body, dict) else ""


def _inbox_insert(envelope: dict[str, Any]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {InboxEvent._meta.db_table} (event_id, event_type, producer, received_at)"  # noqa: S608
            " VALUES (%s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [envelope["id"], envelope["type"][:100], str(envelope.get("producer", ""))[:64], timezone.now()],
        )
        return cursor.fetchone() is not None


def _record_dead_letter(body: Any, reason: str, attempts: int, queue: str) -> None:
    try:
        DeadLetter.objects.create(
            event_id=_event_id(body)[:64],
            event_type=str(body.get("type", ""))[:100] if isinstance(body, dict) else "",
            envelope=body if isinstance(body, dict) else {"raw": str(body)[:10_000]},
            error=reason,
            attempts=attempts,
            queue=queue,
        )
    except Exception:  # the dead-letter queue holds the message even if this row fails
        logger.exception("could not record a dead letter")


def retry_dead_letters(letters: Iterable[DeadLetter]) -> int:
    """Send dead-lettered events back to their queue for another round of attempts."""
    count = 0
    with broker_connection() as conn:
        producer = kombu.Producer(conn.channel())
        for letter in letters:
            producer.publish(
                letter.envelope,
                exchange="",
                routing_key=letter.queue,
                serializer="json",
                delivery_mode=2,
                headers={"x-attempts": 0},
                retry=False,
            )
            letter.retried_at = timezone.now()
            letter.save(update_fields=["retried_at"])
            count += 1
    return count


def run_until_signalled(target: Callable[[threading.Event], None]) -> None:
    """Run a relay or consumer loop until SIGTERM or SIGINT."""
    import signal

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    target(stop)


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass (for tests and tools)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
