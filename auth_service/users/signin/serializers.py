"""Input shape of signing in."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class SignInInputSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
