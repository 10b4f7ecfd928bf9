"""A consumer: handles each event once (an inbox row in the handler's transaction), retries, dead-letters.

A message is acknowledged only after the transaction that applied it (and recorded its id in the
inbox) commits; an event already in the inbox is skipped. A failing event waits in the retry
queues, each delay longer, and after EVENTS_MAX_ATTEMPTS goes to the dead letters.

Deliveries are handled in batches: whatever has arrived (up to the prefetch) is applied in one
transaction, with one INSERT of its inbox rows, and acknowledged with one ack after the commit.
If the batch fails, its deliveries are handled again one by one, each in its own transaction, so
that the event at fault is retried and dead-lettered alone. A handler may offer `handle_many`
(see `BatchHandler`) to apply consecutive events of a batch with bulk statements.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import kombu
from django.conf import settings
from django.db import InterfaceError, close_old_connections, transaction
from django.db import OperationalError as DatabaseOperationalError

from servicekit.events.broker import broker_connection
from servicekit.events.deadletters import record_dead_letter
from servicekit.events.inbox import event_id, inbox_insert, inbox_insert_many, valid_envelope
from servicekit.events.runtime import Backoff
from servicekit.events.topology import Topology

logger = logging.getLogger(__name__)

READY = 0.001  # seconds to wait for one more delivery once a batch has begun

Handler = Callable[[dict[str, Any]], None]


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can also apply several events at once (in order, in the caller's transaction).

    Registered per event type like any handler (it is called with one envelope when a batch is
    retried one by one); the consumer passes it each run of consecutive new events it handles.
    """

    def __call__(self, envelope: dict[str, Any]) -> None: ...

    def handle_many(self, envelopes: list[dict[str, Any]]) -> None: ...


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
            created = inbox_insert(envelope)
            if created:
                self.handlers[envelope["type"]](envelope)
        return created

    def handle_batch(self, envelopes: list[dict[str, Any]]) -> int:
        """Apply valid envelopes exactly once, all in one transaction; return how many were new.

        One INSERT records the whole batch in the inbox (an event seen before, or twice in the
        batch, is applied once); runs of consecutive events of one batch-aware handler go to its
        `handle_many`, the others to their handler one at a time, in delivery order.
        """
        with transaction.atomic():
            new = inbox_insert_many(envelopes)
            fresh, seen = [], set()
            for envelope in envelopes:
                key = str(uuid.UUID(str(envelope["id"])))
                if key in new and key not in seen:
                    seen.add(key)
                    fresh.append(envelope)
            run: list[dict[str, Any]] = []
            for envelope in fresh:
                handler = self.handlers[envelope["type"]]
                if run and self.handlers[run[0]["type"]] is not handler:
                    self._apply(run)
                    run = []
                run.append(envelope)
            if run:
                self._apply(run)
        return len(fresh)

    def _apply(self, envelopes: list[dict[str, Any]]) -> None:
        handler = self.handlers[envelopes[0]["type"]]
        if isinstance(handler, BatchHandler):
            handler.handle_many(envelopes)
        else:
            for envelope in envelopes:
                handler(envelope)

    def on_batch(self, producer: kombu.Producer, deliveries: list[tuple[Any, Any]]) -> None:
        """Handle the deliveries that arrived together: in one transaction, then one ack; one by one if that fails."""
        if len(deliveries) > 1 and all(
            valid_envelope(body) and body["type"] in self.handlers for body, _message in deliveries
        ):
            try:
                self.handle_batch([body for body, _message in deliveries])
            except (DatabaseOperationalError, InterfaceError):
                logger.warning(
                    "database unavailable; the events go back to the queue", extra={"count": len(deliveries)}
                )
                close_old_connections()
                time.sleep(1.0)
                for _body, message in deliveries:
                    message.requeue()
                return
            except Exception:  # some event of the batch failed: find it by handling them one by one
                logger.info("a batch failed; handling its events one by one", extra={"count": len(deliveries)})
            else:
                self._acknowledge([message for _body, message in deliveries])
                return
        for body, message in deliveries:
            self.on_message(producer, body, message)

    def _acknowledge(self, messages: list[Any]) -> None:
        """One ack for the batch (multiple=True: every earlier delivery of the channel is settled by now)."""
        messages[-1].ack(multiple=True)

    def _republish(self, producer: kombu.Producer, envelope: Any, queue: str, headers: dict[str, Any]) -> None:
        producer.publish(
            envelope, exchange="", routing_key=queue, serializer="json", delivery_mode=2, headers=headers, retry=False
        )

    def on_message(self, producer: kombu.Producer, body: Any, message: Any) -> None:
        """Handle one delivery; on failure pass it to the next retry queue, or to the dead letters."""
        attempts = _attempts(message) + 1
        if not valid_envelope(body) or body["type"] not in self.handlers:
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
        logger.error("event dead-lettered", extra={"event_id": event_id(body), "error": reason})
        headers = {"x-attempts": attempts, "x-error": reason}
        self._republish(producer, body, self.topology.dead_letter_queue, headers)
        record_dead_letter(body, reason, attempts, self.topology.queue)

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, reconnecting with backoff while the broker (or database) is away."""
        backoff = Backoff("consumer")
        backoff.run(functools.partial(self._consume, stop, connected=backoff.reset), stop)

    def _consume(self, stop: threading.Event, *, connected: Callable[[], None]) -> None:
        """One session: connect, declare, and handle deliveries until `stop` is set or the connection fails."""
        # Retries and dead letters are published on a connection of their own, so that
        # waiting for their confirms never interleaves with deliveries on this one.
        with broker_connection() as conn, broker_connection() as publishing:
            conn.ensure_connection(max_retries=1, timeout=settings.EVENTS_CONNECT_TIMEOUT)
            channel = conn.channel()
            channel.basic_qos(0, self.prefetch, False)
            queue = self.topology.declare(channel)
            producer = kombu.Producer(publishing.channel())
            arrived: list[tuple[Any, Any]] = []
            consumer = kombu.Consumer(
                channel,
                queues=[queue],
                accept=["json"],
                callbacks=[lambda body, message: arrived.append((body, message))],
                on_decode_error=functools.partial(self.on_undecodable, producer),
            )
            with consumer:
                connected()
                logger.info("consuming", extra={"queue": self.topology.queue})
                while not stop.is_set():
                    try:
                        conn.drain_events(timeout=1)
                        while len(arrived) < self.prefetch:  # and whatever else has already arrived
                            conn.drain_events(timeout=READY)
                    except TimeoutError:
                        if not arrived:
                            close_old_connections()
                    if arrived:
                        batch, arrived[:] = list(arrived), []
                        self.on_batch(producer, batch)
                    conn.heartbeat_check()
                    publishing.heartbeat_check()


def _attempts(message: Any) -> int:
    try:
        return max(0, int(dict(message.headers or {}).get("x-attempts", 0)))
    except (TypeError, ValueError):
        return 0
