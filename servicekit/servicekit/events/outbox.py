"""The outbox: an event is a row of the producer's own database, written in the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

from servicekit.models import OutboxEvent


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
