"""The relay: publishes the outbox to the exchange, with publisher confirms, each aggregate in order.

Several relays may run at once: each takes only the head of each aggregate's queue and skips the
rows another relay holds. Delivery is at least once (a consumer's inbox makes it exactly once).

A batch is published in one go and its confirms awaited together; the rows the broker confirmed
are stamped published in one UPDATE. Between batches the relay polls briefly while events keep
coming, then sleeps on PostgreSQL LISTEN until the outbox's trigger NOTIFYs a commit (see the
migration `0004_outbox_wake`), with a slow poll as a fallback for a NOTIFY missed while it
reconnected.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import kombu
import psycopg
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from kombu.serialization import dumps

from servicekit.conf.database import direct_connection_params
from servicekit.events.broker import broker_connection, events_exchange
from servicekit.events.runtime import Backoff
from servicekit.models import OutboxEvent

logger = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 10.0  # seconds to wait for the broker to confirm a batch
CHANNEL = "servicekit_outbox"  # what the outbox trigger NOTIFYs
LISTENERS = "servicekit_outbox_listener"  # the sessions of the relays asleep on CHANNEL


class Nacked(Exception):
    """The broker refused (nacked) a message of the batch."""


# Only the head of each aggregate's queue is taken (rows without an aggregate are independent),
# and rows another relay holds are skipped: several relays at once keep each aggregate in order.
_PENDING = f"""
SELECT pending.id, pending.event_id, pending.event_type, pending.occurred_at, pending.producer, pending.data
FROM {OutboxEvent._meta.db_table} AS pending
WHERE pending.published_at IS NULL
  AND (pending.aggregate = '' OR NOT EXISTS (
        SELECT 1 FROM {OutboxEvent._meta.db_table} AS earlier
        WHERE earlier.aggregate = pending.aggregate AND earlier.published_at IS NULL AND earlier.id < pending.id))
ORDER BY pending.id
LIMIT %s
FOR UPDATE SKIP LOCKED
"""  # noqa: S608 - a fixed table name


class Relay:
    """Publishes the outbox to the exchange: `run_once` for one batch, `run` until stopped.

    `run` polls every `interval` seconds while events keep coming and for `linger` seconds after
    the last one (a busy relay never asks producers to NOTIFY), then sleeps until a NOTIFY, or
    `fallback` seconds at most.
    """

    def __init__(self, *, batch: int = 200, interval: float = 0.02, linger: float = 0.2, fallback: float = 2.0) -> None:
        self.batch = batch
        self.interval = interval
        self.linger = linger
        self.fallback = fallback
        self.exchange = events_exchange()
        self._connection: kombu.Connection | None = None
        self._channel: Any = None
        self._listener: psycopg.Connection[Any] | None = None
        self._next_tag = 1  # publisher confirms number a channel's messages from 1
        self._confirmed = 0  # how many leading rows of the batch under way the broker confirmed
        self._acked_upto = 0  # every message of the channel up to this tag is confirmed
        self._acked: set[int] = set()  # confirmed one by one beyond _acked_upto
        self._nacked: int | None = None

    # -- the broker ---------------------------------------------------------------------------

    def _ensure_channel(self) -> Any:
        if self._channel is None:
            self._connection = broker_connection()
            self._connection.ensure_connection(max_retries=1, timeout=settings.EVENTS_CONNECT_TIMEOUT)
            channel = self._connection.channel()
            self.exchange(channel).declare()
            # Confirms are counted here, whoever reads them off the socket (a publish may too).
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.confirm_select()
            channel._confirm_selected = True
            self._channel, self._next_tag, self._acked_upto, self._acked, self._nacked = channel, 1, 0, set(), None
        else:
            assert self._connection is not None
            self._connection.heartbeat_check()
        return self._channel

    def _on_ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._acked_upto = max(self._acked_upto, tag)
        else:
            self._acked.add(tag)
        while self._acked_upto + 1 in self._acked:
            self._acked_upto += 1
            self._acked.discard(self._acked_upto)

    def _on_nack(self, tag: int, multiple: bool, *args: Any) -> None:
        self._nacked = tag if self._nacked is None else min(self._nacked, tag)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection may fail in many ways
                logger.debug("closing the broker connection failed", exc_info=True)
        self._connection = self._channel = None
        self._close_listener()

    def _publish_confirmed(self, rows: list[tuple[Any, ...]]) -> int:
        """Publish `rows` in one go, then wait for all their confirms; return how many there were.

        Raises after a nack, a timeout or a lost connection; `self._confirmed` then says how many
        leading rows the broker did confirm (the rest stay pending).
        """
        channel = self._ensure_channel()
        first = self._next_tag
        self._nacked = None
        for _id, event_id, event_type, occurred_at, producer, data in rows:
            envelope = {
                "id": str(event_id),
                "type": event_type,
                "occurred_at": occurred_at.isoformat(),
                "producer": producer,
                "data": json.loads(data) if isinstance(data, str) else data,  # Django reads jsonb as text
            }
            content_type, content_encoding, body = dumps(envelope, serializer="json")
            message = channel.prepare_message(
                body, 0, content_type, content_encoding, {}, {"delivery_mode": 2, "message_id": str(event_id)}
            )
            channel._basic_publish(message, exchange=self.exchange.name, routing_key=event_type)
            self._next_tag += 1
        last = self._next_tag - 1
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        try:
            while self._acked_upto < last and self._nacked is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the broker did not confirm the batch in time")
                self._connection.drain_events(timeout=remaining)  # type: ignore[union-attr]
        finally:
            self._confirmed = max(0, min(self._acked_upto, last) - first + 1)
            if self._nacked is not None:
                self._confirmed = min(self._confirmed, self._nacked - first)
        if self._nacked is not None:
            raise Nacked(f"the broker refused event {self._nacked - first + 1} of the batch")
        return self._confirmed

    def run_once(self) -> int:
        """Publish one batch of pending events; return how many were published.

        Statements: the batch's rows (locked) in one SELECT, and one UPDATE once the broker
        confirmed them. A broker error is raised after the events confirmed so far are marked
        published (the rest stay pending, to be sent again: delivery is at least once).
        """
        failure: BaseException | None = None
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_PENDING, [self.batch])
                rows = cursor.fetchall()
            if not rows:
                return 0
            self._confirmed = 0
            try:
                confirmed = self._publish_confirmed(rows)
            except Exception as error:  # a nack, a timeout, a lost connection: what was confirmed is recorded
                failure, confirmed = error, self._confirmed
            if confirmed:
                OutboxEvent.objects.filter(id__in=[row[0] for row in rows[:confirmed]]).update(
                    published_at=timezone.now()
                )
        if failure is not None:
            self.close()
            raise failure
        return confirmed

    # -- waiting for work ----------------------------------------------------------------------

    def _ensure_listener(self) -> psycopg.Connection[Any]:
        """A connection of its own (autocommit) that LISTENs; Django's connection runs the batches.

        A LISTEN and the listeners' table (rows named by the session's pid) need a session that
        lasts: straight to the database, even when Django's connection goes through a transaction
        pooler (`DATABASE_DIRECT_URL`).
        """
        if self._listener is None or self._listener.closed:
            listener = psycopg.connect(**direct_connection_params(connection), autocommit=True)
            listener.execute(f"LISTEN {CHANNEL}")
            # Rows of relays whose session ended (killed, lost) would make producers NOTIFY for nobody.
            listener.execute(f"DELETE FROM {LISTENERS} WHERE pid NOT IN (SELECT pid FROM pg_stat_activity)")  # noqa: S608
            self._listener = listener
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()  # the session ends: its row is deleted by the next relay that starts
            except Exception:
                logger.debug("closing the listening connection failed", exc_info=True)
        self._listener = None

    def _set_asleep(self, asleep: bool) -> None:
        listener = self._ensure_listener()
        if asleep:
            listener.execute(f"INSERT INTO {LISTENERS} (pid) VALUES (pg_backend_pid()) ON CONFLICT DO NOTHING")  # noqa: S608
        else:
            listener.execute(f"DELETE FROM {LISTENERS} WHERE pid = pg_backend_pid()")  # noqa: S608

    def _wait_for_notify(self, stop: threading.Event, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a NOTIFY (True) or `stop` (False), keeping the broker alive."""
        listener = self._ensure_listener()
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for _notify in listener.notifies(timeout=min(remaining, 0.5), stop_after=1):
                return True
            if self._connection is not None:
                self._connection.heartbeat_check()
        return False

    def sleep(self, stop: threading.Event) -> bool:
        """Sleep until an event is committed to the outbox (True), or `fallback` passes or `stop` (False).

        The relay says it sleeps before looking once more, so that an event committed meanwhile
        is either found by that look or NOTIFYs; a second look shortly after covers a commit that
        checked the listeners a moment before this relay said it sleeps.
        """
        self._set_asleep(True)
        try:
            if self.run_once() or self._wait_for_notify(stop, 0.05) or self.run_once():
                return True
            close_old_connections()
            return self._wait_for_notify(stop, self.fallback)
        finally:
            if self._listener is not None and not self._listener.closed:
                self._set_asleep(False)

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set, backing off while the broker (or the database) is away."""
        backoff = Backoff("relay")
        last_sent = time.monotonic()

        def step() -> None:
            nonlocal last_sent
            try:
                sent = self.run_once()
                backoff.reset()
                if sent:
                    last_sent = time.monotonic()
                if sent >= self.batch:
                    return
                if time.monotonic() - last_sent < self.linger:
                    stop.wait(self.interval)
                    return
                if self.sleep(stop):
                    last_sent = time.monotonic()  # woken: events are coming, poll for a while
            except Exception:
                self._close_listener()
                raise

        backoff.run(step, stop)
        self.close()
