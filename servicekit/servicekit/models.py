"""Tables every service keeps in its own database: idempotency keys, the event outbox and inbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone


class UUIDModel(models.Model):
    """A model keyed by a random UUID, made by the application: ids that reveal no count and can be
    chosen before the row is written (an order's id keys its calls to other services)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` and the first response given for it."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    owner = models.CharField(max_length=80, help_text="user:<id> or service:<client id>")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.IntegerField(
        null=True, blank=True, help_text="The database session (backend pid) of the request running it."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="servicekit_idempotency_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class OutboxEvent(models.Model):
    """An event written with the change it describes; the relay publishes it and stamps `published_at`."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=100)
    aggregate = models.CharField(max_length=100, blank=True, help_text="Events of one aggregate leave in order.")
    producer = models.CharField(max_length=64)
    data = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["aggregate", "id"],
                condition=models.Q(published_at__isnull=True),
                name="servicekit_outbox_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    def envelope(self) -> dict[str, Any]:
        return {
            "id": str(self.event_id),
            "type": self.event_type,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "data": self.data,
        }


class InboxEvent(models.Model):
    """An event this service has handled: a second delivery of the same id is skipped."""

    event_id = models.UUIDField(primary_key=True)
    event_type = models.CharField(max_length=100)
    producer = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class DeadLetter(models.Model):
    """An event that failed every attempt (also kept in the broker's dead-letter queue)."""

    event_id = models.CharField(max_length=64, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    envelope = models.JSONField()
    error = models.TextField()
    attempts = models.PositiveIntegerField()
    queue = models.CharField(max_length=200, help_text="The queue to send it back to when retried.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
