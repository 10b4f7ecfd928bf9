"""The events of a running stack: what the producers' outboxes hold, what reached the consumers, how fast.

Read from every service's database (and the consumers' queues on the broker), for the load and
fault tests, which count what was lost, and the benchmarks, which time how long delivery took.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from servicekit.waiting import poll_until
from stack import broker
from stack.db import rows
from stack.services import SERVICES

if TYPE_CHECKING:
    from stack.launch import LaunchedStack

PRODUCERS = tuple(service.name for service in SERVICES if service.runs("relay_events"))
CONSUMERS = tuple(service.name for service in SERVICES if service.runs("consume_events"))


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (the nearest rank; 0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Latencies:
    """The percentiles of a `latencies_ms` list, for figures that time what they count."""

    latencies_ms: list[float]

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.5)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 0.99)


@dataclass
class EventFigures(Latencies):
    """What became of events written to the outboxes: how many reached the consumers, and how fast."""

    written: Counter[str] = field(default_factory=Counter)  # per event type, every outbox row counted
    unpublished: int = 0
    expected: int = 0  # deliveries the consumers owe: each event once per consumer that handles its type
    delivered: int = 0
    lost: list[str] = field(default_factory=list)  # "consumer: event id" of each delivery owed and not made
    dead_letters: int = 0
    last_published: datetime | None = None
    last_received: datetime | None = None
    latencies_ms: list[float] = field(default_factory=list)  # from an event's outbox row to what it caused
    seconds: float = 0.0  # from the first event written to the last one delivered

    @property
    def events(self) -> int:
        return sum(self.written.values())

    @property
    def rate(self) -> float:
        """Events delivered per second, over the whole window."""
        return self.delivered / self.seconds if self.seconds else 0.0


def handled_event_types(stack: LaunchedStack, consumer: str, module: str) -> set[str]:
    """The event types a consumer has handlers for, asked from its own code."""
    output = stack.manage(
        consumer, "shell", "-c", f"import json; from {module} import HANDLERS; print(json.dumps(sorted(HANDLERS)))"
    )
    return set(json.loads(output.strip().splitlines()[-1]))


def event_figures(*, suffix: str, consumers: dict[str, set[str]]) -> EventFigures:
    """Every producer's outbox against every consumer's inbox: what was written, what arrived, what was lost."""
    outbox: list[tuple[str, str, bool]] = []
    for service in PRODUCERS:
        outbox += rows(service, suffix, "SELECT event_id::text, event_type, published_at IS NOT NULL FROM "
                       "servicekit_outboxevent")  # fmt: skip
    figures = EventFigures(
        written=Counter(event_type for _, event_type, _ in outbox),
        unpublished=sum(not published for *_, published in outbox),
    )
    for consumer, types in consumers.items():
        inbox = {row[0] for row in rows(consumer, suffix, "SELECT event_id::text FROM servicekit_inboxevent")}
        owed = {event_id for event_id, event_type, _ in outbox if event_type in types}
        figures.expected += len(owed)
        figures.delivered += len(owed & inbox)
        figures.lost += [f"{consumer}: {event_id}" for event_id in sorted(owed - inbox)]
        figures.dead_letters += int(rows(consumer, suffix, "SELECT count(*) FROM servicekit_deadletter")[0][0])
    return figures


def events_between(suffix: str, start: datetime, end: datetime, consumers: dict[str, set[str]]) -> EventFigures:
    """What became of the events written between two moments (a broker outage, say)."""
    outbox: list[tuple[str, str, datetime | None]] = []
    for service in PRODUCERS:
        outbox += rows(
            service, suffix,
            "SELECT event_id::text, event_type, published_at FROM servicekit_outboxevent"
            " WHERE occurred_at BETWEEN %s AND %s",
            start, end,
        )  # fmt: skip
    published = [at for *_, at in outbox if at is not None]
    figures = EventFigures(
        written=Counter(event_type for _, event_type, _ in outbox),
        unpublished=len(outbox) - len(published),
        last_published=max(published, default=None),
    )
    received: list[datetime] = []
    for consumer, types in consumers.items():
        wanted = [event_id for event_id, event_type, _ in outbox if event_type in types]
        [(count, last)] = rows(
            consumer, suffix,
            "SELECT count(*), max(received_at) FROM servicekit_inboxevent WHERE event_id = ANY(%s::uuid[])", wanted,
        )  # fmt: skip
        figures.expected += len(wanted)
        figures.delivered += int(count)
        received += [last] if last else []
    figures.last_received = max(received, default=None)
    return figures


def notification_latencies(
    suffix: str, since: datetime, *, event_type: str = "transfer.completed", timeout: float = 120
) -> EventFigures:
    """Follow the bank's `event_type` events written since `since` to the notifications they caused.

    Latency is from the event's outbox row (written in the transaction that caused it) to the first
    notification the consumer wrote for it; the window, from the first event written to the last
    one delivered. Waits up to `timeout` s for every event to arrive.
    """
    outbox = (
        "SELECT event_id::text, occurred_at FROM servicekit_outboxevent WHERE event_type = %s AND occurred_at >= %s"
    )
    written: dict[str, datetime] = dict(rows("bank", suffix, outbox, event_type, since))
    notified = (
        "SELECT event_id::text, min(created_at) FROM notifications_notification"
        " WHERE event_id = ANY(%s::uuid[]) GROUP BY event_id"
    )
    delivered: dict[str, datetime] = {}

    def all_delivered() -> bool:
        delivered.update(rows("notifications", suffix, notified, list(written)))
        return len(delivered) >= len(written)

    with contextlib.suppress(TimeoutError):  # the figures say how many were delivered
        poll_until(all_delivered, timeout=timeout, interval=0.5, message=f"every {event_type} event to be delivered")
    window = (max(delivered.values()) - min(written.values())).total_seconds() if delivered else 0.0
    return EventFigures(
        written=Counter({event_type: len(written)}),
        expected=len(written),
        delivered=len(delivered),
        latencies_ms=[(delivered[key] - written[key]).total_seconds() * 1000 for key in delivered],
        seconds=window,
    )


def pending_events(*, suffix: str, broker_url: str | None = None) -> int:
    """Events not yet through: outbox rows not published, plus messages waiting in the consumers' queues."""
    import kombu

    pending = 0
    for name in PRODUCERS:
        [(unpublished,)] = rows(name, suffix, "SELECT count(*) FROM servicekit_outboxevent WHERE published_at IS NULL")
        pending += int(unpublished)
    url = broker_url or os.environ.get("BROKER_URL", broker.DEFAULT_URL)
    with kombu.Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        for name in CONSUMERS:
            pending += int(channel.queue_declare(f"{name}{suffix}", passive=True).message_count)
    return pending


def drain_events(*, suffix: str, broker_url: str | None = None, timeout: float = 120) -> bool:
    """Wait until every producer's outbox is published and every consumer's queue is empty.

    Returns False (and says so) if the backlog did not drain in time.
    """
    try:
        poll_until(
            lambda: pending_events(suffix=suffix, broker_url=broker_url) == 0,
            timeout=timeout,
            interval=0.5,
            message="the event backlog to drain",
        )
    except TimeoutError:
        print("warning: the event backlog did not drain in time", flush=True)
        return False
    return True
