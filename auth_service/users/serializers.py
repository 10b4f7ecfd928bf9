"""Input and output shapes of the users API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from users.models import Role, User


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "email_verified", "full_name", "roles", "is_active", "date_joined"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer[Any]):
    # Checked, and normalised, by users.addresses (stricter than a pattern: no look-alikes).
    email = serializers.CharField(max_length=254, help_text="An email address; it is stored lower-cased.")
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
    email_verified = serializers.BooleanField(required=False, help_text="Mark the address verified (or not).")


class EmailVerifyInputSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="The six digits emailed to you.")


class EmailVerifyOutputSerializer(serializers.Serializer[Any]):
    user = UserOutputSerializer()
    access = serializers.CharField(help_text="A new access token that says `email_verified: true`.")


class PasswordResetInputSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="The six digits emailed to you.")
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AcceptedSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class OpenIdConfigurationSerializer(serializers.Serializer[Any]):
    issuer = serializers.CharField()
    jwks_uri = serializers.CharField()
    token_endpoint = serializers.CharField()
    id_token_signing_alg_values_supported = serializers.ListField(child=serializers.CharField())
    token_endpoint_auth_signing_alg_values_supported = serializers.ListField(child=serializers.CharField())
    grant_types_supported = serializers.ListField(child=serializers.CharField())
    response_types_supported = serializers.ListField(child=serializers.CharField())
    subject_types_supported = serializers.ListField(child=serializers.CharField())
    claims_supported = serializers.ListField(child=serializers.CharField())


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
