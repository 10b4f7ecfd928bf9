"""Input and output shapes of the users API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from users.models import Role, User


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "roles", "is_active", "date_joined"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class SignInInputSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=4096)


class VerifyInputSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=4096)


class LogoutInputSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=4096, required=False)
    all = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["all"] and not attrs.get("refresh"):
            raise serializers.ValidationError({"refresh": ["Give the refresh token to revoke, or all: true."]})
        return attrs


class MeUpdateInputSerializer(serializers.Serializer[Any]):
    full_name = serializers.CharField(max_length=150, allow_blank=True, required=False)


class PasswordChangeInputSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class UserAccessInputSerializer(serializers.Serializer[Any]):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, max_length=3, required=False
    )
    is_active = serializers.BooleanField(required=False)


class ServiceTokenInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.CharField(max_length=64)
    client_secret = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField(help_text="An access token (RS256 JWT), short-lived: send it as `Bearer`.")
    refresh = serializers.CharField(help_text="A refresh token: trade it for a new pair at /auth/api/token/refresh/.")


class RegisterOutputSerializer(TokenPairSerializer):
    user = UserOutputSerializer()


class VerifyOutputSerializer(serializers.Serializer[Any]):
    token_type = serializers.ChoiceField(choices=["access", "refresh"])
    exp = serializers.IntegerField(help_text="Expiry, seconds since the epoch.")


class JwksSerializer(serializers.Serializer[Any]):
    keys = serializers.ListField(child=serializers.DictField(), help_text="RFC 7517 JSON Web Keys (RSA, RS256).")
