"""DRF glue: `Authorization: Bearer <token>` authenticates a request, statelessly."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from servicekit.auth.errors import InvalidToken
from servicekit.auth.principals import TokenUser
from servicekit.auth.verifier import VerifiedToken, get_verifier


class JWTAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <token>` statelessly; by default only user access tokens."""

    keyword = "bearer"
    token_types: tuple[str, ...] = ("access",)

    def authenticate(self, request: Request) -> tuple[Any, dict[str, Any]] | None:
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        token = token.strip()
        if not token or " " in token:
            raise InvalidToken("Authorization header must be 'Bearer <token>'.", code="bad_authorization_header")
        verified = get_verifier().verify(token, token_types=self.token_types)
        return self.principal_for(verified), verified.claims

    def principal_for(self, verified: VerifiedToken) -> Any:
        """Return the request's user; a service that owns users may load its own model instead."""
        return verified.principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ServiceTokenAuthentication(JWTAuthentication):
    """Only service tokens: for endpoints that other services call as themselves."""

    token_types = ("service",)


class UserOrServiceAuthentication(JWTAuthentication):
    """User access tokens or service tokens: for endpoints that allow both."""

    token_types = ("access", "service")


def request_user(request: Request) -> TokenUser:
    """The request's user as a `TokenUser` (for views behind `IsUser`), typed for the caller."""
    user = request.user
    if not isinstance(user, TokenUser):
        raise exceptions.NotAuthenticated()
    return user
