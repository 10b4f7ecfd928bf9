"""Output shapes of the notifications API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from servicekit.serializers import FlatOutputSerializer


class NotificationOutputSerializer(FlatOutputSerializer):
    id = serializers.UUIDField(read_only=True)
    type = serializers.CharField(source="event_type", read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]  # a field, popped by DRF, not .data
    is_read = serializers.BooleanField(read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class CountOutputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(read_only=True)
