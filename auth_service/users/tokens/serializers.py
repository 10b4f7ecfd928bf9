"""Input and output shapes of the token API: pairs, refresh, verify, sign-out, keys and discovery."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField(help_text="An access token (RS256 JWT), short-lived: send it as `Bearer`.")
    refresh = serializers.CharField(help_text="A refresh token: trade it for a new pair at /auth/api/token/refresh/.")


class RefreshInputSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=4096)


class VerifyInputSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=4096)


class VerifyOutputSerializer(serializers.Serializer[Any]):
    token_type = serializers.ChoiceField(choices=["access", "refresh"])
    exp = serializers.IntegerField(help_text="Expiry, seconds since the epoch.")


class LogoutInputSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=4096, required=False)
    all = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["all"] and not attrs.get("refresh"):
            raise serializers.ValidationError({"refresh": ["Give the refresh token to revoke, or all: true."]})
        return attrs


class JwksSerializer(serializers.Serializer[Any]):
    keys = serializers.ListField(child=serializers.DictField(), help_text="RFC 7517 JSON Web Keys (RSA, RS256).")


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
