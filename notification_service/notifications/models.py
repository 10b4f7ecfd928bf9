"""The inbox: one notification per affected user per event, and the addresses to email them at."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from servicekit.models import UUIDModel


class Recipient(models.Model):
    """A user's address, learnt from auth's user events, so that no message needs to ask auth."""

    user_id = models.UUIDField(primary_key=True)
    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.email


class Notification(UUIDModel):
    """Something a user should know, in their inbox and (when their address is known) by email."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NO_ADDRESS = "no_address", "No address known"

    user_id = models.UUIDField()
    event_id = models.UUIDField(help_text="The event this came from.")
    event_type = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True, help_text="Ids a client can link to.")
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    email = models.EmailField(blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_error = models.CharField(max_length=500, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "user_id"], name="notifications_one_per_user_and_event"),
        ]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="notifications_inbox"),
            models.Index(fields=["user_id"], condition=models.Q(is_read=False), name="notifications_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.user_id})"
