"""The inbox: the ids of the events a consumer has applied, so that each is applied once."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.utils import timezone

from servicekit.models import InboxEvent


def valid_envelope(body: Any) -> bool:
    """Tell whether `body` has an event's shape: a UUID id, a type and a data object."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not isinstance(body.get("data"), dict):
        return False
    try:
        uuid.UUID(str(body.get("id")))
    except ValueError:
        return False
    return True


def event_id(body: Any) -> str:
    """The id a message says it carries, or "" (for the log and the dead letters)."""
    return str(body.get("id") or "") if isinstance(body, dict) else ""


def inbox_insert(envelope: dict[str, Any]) -> bool:
    """Record the event as received in the caller's transaction; False if it already was."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {InboxEvent._meta.db_table} (event_id, event_type, producer, received_at)"  # noqa: S608
            " VALUES (%s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [envelope["id"], envelope["type"][:100], str(envelope.get("producer", ""))[:64], timezone.now()],
        )
        return cursor.fetchone() is not None


def inbox_insert_many(envelopes: list[dict[str, Any]]) -> set[str]:
    """Record events as received in the caller's transaction, in one statement; return the ids that were new."""
    if not envelopes:
        return set()
    now = timezone.now()
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(envelopes))
    params: list[Any] = []
    for envelope in envelopes:
        params += [envelope["id"], envelope["type"][:100], str(envelope.get("producer", ""))[:64], now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {InboxEvent._meta.db_table} (event_id, event_type, producer, received_at)"  # noqa: S608
            f" VALUES {rows} ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            params,
        )
        return {str(row[0]) for row in cursor.fetchall()}
