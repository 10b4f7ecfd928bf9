"""The relay: publishes the outbox to the exchange, with publisher confirms, each aggregate in order.

Several relays may run at once: each takes only the head of each aggregate's queue and skips the
rows another relay holds. Delivery is at least once (a consumer's inbox makes it exactly once).
"""

from __future__ import annotations

import logging
import threading

import kombu
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from servicekit.events.broker import broker_connection, events_exchange
from servicekit.events.runtime import Backoff
from servicekit.models import OutboxEvent

logger = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 10.0  # seconds to wait for the broker to confirm one publish

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
        """Publish until `stop` is set, backing off while the broker (or the database) is away."""
        backoff = Backoff("relay")

        def step() -> None:
            sent = self.run_once()
            backoff.reset()
            if sent < self.batch:
                stop.wait(idle)
                close_old_connections()

        backoff.run(step, stop)
        self.close()
