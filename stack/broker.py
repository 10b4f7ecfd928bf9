"""The stack's objects on RabbitMQ: dropped with the databases when a stack starts fresh."""

from __future__ import annotations

import kombu

from stack.services import Service

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672//"  # servicekit's development default
RETRY_QUEUES = 10  # more than any EVENTS_MAX_ATTEMPTS in use


def reset(services: tuple[Service, ...], *, broker_url: str, exchange: str, suffix: str) -> None:
    """Delete the exchange and every service's queues (main, retry, dead-letter) of one stack."""
    with kombu.Connection(broker_url, connect_timeout=5) as connection:
        channel = connection.channel()
        for service in services:
            queue = f"{service.name}{suffix}"
            for name in (queue, f"{queue}.dead", *(f"{queue}.retry.{n}" for n in range(1, RETRY_QUEUES + 1))):
                channel.queue_delete(name)  # deleting a queue that does not exist is not an error
        channel.exchange_delete(exchange)
