"""Reads on the inbox: a user's own notifications only."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import QuerySet

from notifications.models import Notification
from servicekit.queries import found


class NotificationFilter(django_filters.FilterSet):
    """`?is_read=false` for the unread ones, `?type=` for one event type."""

    is_read = django_filters.BooleanFilter()
    type = django_filters.CharFilter(field_name="event_type", max_length=100)

    class Meta:
        model = Notification
        fields = ["is_read", "type"]


def inbox(*, user_id: uuid.UUID) -> QuerySet[Notification]:
    """The user's notifications, newest first (nobody, staff included, reads another's inbox)."""
    return Notification.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def notification_detail(notification_id: uuid.UUID, *, user_id: uuid.UUID) -> Notification:
    """One of the user's notifications; `NotFound` for anyone else's, which so reveals nothing about it."""
    return found(inbox(user_id=user_id).filter(id=notification_id))
