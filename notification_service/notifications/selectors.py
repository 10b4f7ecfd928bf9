"""Reads on the inbox: a user's own notifications only."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework.request import Request

from notifications.models import Notification
from servicekit.auth import request_user


class NotificationFilter(django_filters.FilterSet):
    """`?is_read=false` for the unread ones, `?type=` for one event type."""

    is_read = django_filters.BooleanFilter()
    type = django_filters.CharFilter(field_name="event_type", max_length=100)

    class Meta:
        model = Notification
        fields = ["is_read", "type"]


def inbox(request: Request) -> QuerySet[Notification]:
    """The caller's notifications, newest first (nobody, staff included, reads another's inbox)."""
    return Notification.objects.filter(user_id=request_user(request).id).order_by("-created_at", "-id")
