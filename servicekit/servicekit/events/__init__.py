"""Events between services: a transactional outbox, a relay to RabbitMQ, and consumers with an inbox.

A producer calls `publish_event(type, data)` inside the transaction that makes the change: the
event is a row of its own database, committed (or rolled back) with the change. `manage.py
relay_events` publishes pending rows to a topic exchange in batches with publisher confirms and
marks them sent, woken by a NOTIFY from the outbox when idle; several relays may run at once, and
events of one aggregate leave in the order they were written. A consumer (`manage.py
consume_events`) handles the messages that arrived together in a transaction that also records
their ids in an inbox, acknowledges only after that commit (one by one if the batch fails), skips an event it has
seen, retries a failing one with growing delays through retry queues, and moves it to a
dead-letter queue (and a DeadLetter row) after EVENTS_MAX_ATTEMPTS.

Envelope: ``{"id", "type", "occurred_at", "producer", "data"}``; the routing key is the type.

One concept a module: `outbox`, `broker`, `relay`, `topology`, `consumer`, `inbox`,
`deadletters`, and `runtime` (the one back-off of the relay and the consumers, signals, waiting).
Everything is importable from here, as `servicekit.events.<name>`.
"""

from servicekit.events.broker import broker_connection, check_broker, events_exchange
from servicekit.events.consumer import BatchHandler, Consumer, Handler
from servicekit.events.deadletters import retry_dead_letters
from servicekit.events.outbox import publish_event
from servicekit.events.relay import CONFIRM_TIMEOUT, Relay
from servicekit.events.runtime import Backoff, run_until_signalled, wait_for
from servicekit.events.topology import Topology

__all__ = [
    "CONFIRM_TIMEOUT",
    "Backoff",
    "BatchHandler",
    "Consumer",
    "Handler",
    "Relay",
    "Topology",
    "broker_connection",
    "check_broker",
    "events_exchange",
    "publish_event",
    "retry_dead_letters",
    "run_until_signalled",
    "wait_for",
]
