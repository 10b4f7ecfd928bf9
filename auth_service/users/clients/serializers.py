"""Input shape of the client-credentials grant."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ServiceTokenInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.CharField(max_length=64)
    client_secret = serializers.CharField(max_length=256, trim_whitespace=False)
