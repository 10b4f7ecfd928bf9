"""Dead letters: events no handler could apply, kept in a queue and a row until someone retries them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import kombu
from django.utils import timezone

from servicekit.events.broker import broker_connection
from servicekit.events.inbox import event_id
from servicekit.models import DeadLetter

logger = logging.getLogger(__name__)


def record_dead_letter(body: Any, reason: str, attempts: int, queue: str) -> None:
    """Keep a row of a dead-lettered message, for the admin (the dead-letter queue holds the message)."""
    try:
        DeadLetter.objects.create(
            event_id=event_id(body)[:64],
            event_type=str(body.get("type", ""))[:100] if isinstance(body, dict) else "",
            envelope=body if isinstance(body, dict) else {"raw": str(body)[:10_000]},
            error=reason,
            attempts=attempts,
            queue=queue,
        )
    except Exception:  # the dead-letter queue holds the message even if this row fails
        logger.exception("could not record a dead letter")


def retry_dead_letters(letters: Iterable[DeadLetter]) -> int:
    """Send dead-lettered events back to their queue for another round of attempts."""
    count = 0
    with broker_connection() as conn:
        producer = kombu.Producer(conn.channel())
        for letter in letters:
            producer.publish(
                letter.envelope,
                exchange="",
                routing_key=letter.queue,
                serializer="json",
                delivery_mode=2,
                headers={"x-attempts": 0},
                retry=False,
            )
            letter.retried_at = timezone.now()
            letter.save(update_fields=["retried_at"])
            count += 1
    return count
