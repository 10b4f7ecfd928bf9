"""A consumer's queues: the main queue bound to its event types, one retry queue per delay, the dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import kombu

from servicekit.events.broker import events_exchange


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
