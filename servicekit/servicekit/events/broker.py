"""The broker: connections to RabbitMQ, the topic exchange every event goes to, and whether it answers."""

from __future__ import annotations

import functools
import logging

import kombu
from django.conf import settings
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


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
