"""The token API: refresh, verify, sign out; and what verifiers need, the JWKS and OpenID discovery."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.api import validated
from servicekit.auth import get_verifier
from servicekit.keys import public_jwk
from servicekit.schema import errors
from servicekit.views import PublicApi
from users.authentication import request_user
from users.tokens.keyring import keyring
from users.tokens.refresh import RefreshRefused, refresh_token_is_live, token_refresh, token_revoke
from users.tokens.serializers import (
    JwksSerializer,
    LogoutInputSerializer,
    OpenIdConfigurationSerializer,
    RefreshInputSerializer,
    TokenPairSerializer,
    VerifyInputSerializer,
    VerifyOutputSerializer,
)


class TokenRefreshApi(PublicApi):
    """Trade a refresh token for a new pair; the old refresh token is revoked."""

    @extend_schema(
        summary="Refresh: a new pair for a refresh token (which is revoked)",
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429)},
        examples=[OpenApiExample("A refresh token", value={"refresh": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        return Response(token_refresh(**validated(RefreshInputSerializer, request)))


class TokenVerifyApi(PublicApi):
    """200 if the token (access or refresh) is valid, else 401."""

    @extend_schema(
        summary="Verify a token",
        tags=["auth"],
        request=VerifyInputSerializer,
        responses={200: VerifyOutputSerializer, **errors(400, 401)},
        examples=[OpenApiExample("A token", value={"token": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        token = validated(VerifyInputSerializer, request)["token"]
        claims = get_verifier().verify(token, token_types=("access", "refresh")).claims
        if claims["token_type"] == "refresh" and not refresh_token_is_live(claims):
            raise RefreshRefused()
        return Response({"token_type": claims["token_type"], "exp": claims["exp"]})


class LogoutApi(APIView):
    """Revoke the given refresh token of the caller, or (`all: true`) every one."""

    @extend_schema(
        summary="Sign out: revoke a refresh token, or all of them",
        tags=["auth"],
        request=LogoutInputSerializer,
        responses={204: None, **errors(400, 401)},
        examples=[
            OpenApiExample("This session", value={"refresh": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True),
            OpenApiExample("Everywhere", value={"all": True}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(LogoutInputSerializer, request)
        token_revoke(user=request_user(request), refresh=data.get("refresh"), everything=data["all"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class JwksApi(PublicApi):
    """The public keys that verify auth's tokens: the current one and those retired but still accepted."""

    @extend_schema(summary="The public keys that verify tokens (JWKS)", tags=["auth"], responses={200: JwksSerializer})
    def get(self, request: Request) -> Response:
        snapshot = keyring().snapshot()
        keys = [public_jwk(key) for key in snapshot.public_keys.values()]
        response = Response({"keys": keys})
        response["Cache-Control"] = "public, max-age=60"
        return response


class OpenIdConfigurationApi(PublicApi):
    """Where the keys and the token endpoint are, for any standard JOSE or OpenID Connect library."""

    @extend_schema(
        summary="OpenID Connect discovery: issuer, JWKS and algorithms",
        tags=["auth"],
        responses={200: OpenIdConfigurationSerializer},
    )
    def get(self, request: Request) -> Response:
        base = public_base_url(request)
        response = Response(
            {
                "issuer": settings.JWT_ISSUER,
                "jwks_uri": f"{base}/auth/.well-known/jwks.json",
                "token_endpoint": f"{base}/auth/api/token/",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "grant_types_supported": ["password", "refresh_token"],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "claims_supported": ["iss", "aud", "exp", "iat", "jti", "user_id", "email", "email_verified", "roles"],
            }
        )
        response["Cache-Control"] = "public, max-age=300"
        return response


def public_base_url(request: Request) -> str:
    """The gateway's address as clients see it: GATEWAY_PUBLIC_URL when absolute, else the client's own Host.

    Never the address the service listens on: a request without a Host header gets relative paths.
    """
    configured = str(settings.GATEWAY_PUBLIC_URL)
    if configured.startswith(("http://", "https://")):
        return configured.rstrip("/")
    if request.META.get("HTTP_HOST"):
        return request.build_absolute_uri("/").rstrip("/")
    return ""
