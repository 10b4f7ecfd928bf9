"""Input and output shapes of the users API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer as BaseTokenObtainPairSerializer

from users.models import User
from users.tokens import refresh_token_for


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "roles", "is_active", "date_joined"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class MeUpdateInputSerializer(serializers.Serializer[Any]):
    full_name = serializers.CharField(max_length=150, allow_blank=True, required=False)


class TokenObtainPairSerializer(BaseTokenObtainPairSerializer):
    """simplejwt's email and password login, issuing tokens with our claims."""

    @classmethod
    def get_token(cls, user: Any) -> Any:
        return refresh_token_for(user)
