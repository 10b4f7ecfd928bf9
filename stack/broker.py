"""The stack's objects on RabbitMQ: dropped with the databases when a stack starts fresh."""

from __future__ import annotations

import kombu

from stack.services import Service

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672//"  # servicekit's development default
DEFAULT_RETRY_DELAYS = "1,5,30,120"


def reset(services: tuple[Service, ...], *, broker_url: str, exchange: str, suffix: str, retry_delays: str) -> None:
    """Delete the exchange and every service's queues (main, retry, dead-letter) of one stack."""
    delays_ms = [int(float(delay) * 1000) for delay in retry_delays.split(",") if delay.strip()]
    with kombu.Connection(broker_url, connect_timeout=5) as connection:
        channel = connection.channel()
        for service in services:
            queue = f"{service.name}{suffix}"
            for name in (queue, f"{queue}.dead", *(f"{queue}.retry.{ms}ms" for ms in delays_ms)):
                channel.queue_delete(name)  # deleting a queue that does not exist is not an error
        channel.exchange_delete(exchange)
