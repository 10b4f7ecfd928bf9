"""Tokens auth issues: simplejwt builds the claims, the key ring signs them with a `kid`.

Access tokens say `typ: at+jwt` (RFC 9068) and are addressed to the platform (JWT_AUDIENCE);
refresh tokens are addressed to auth alone (JWT_REFRESH_AUDIENCE), so no other service, nor a
third party checking `iss`, `aud` and the signature, takes one for an access token. Every refresh
token issued is recorded (users.tokens.refresh rotates and revokes them).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.tokens import AccessToken as SimpleAccessToken
from rest_framework_simplejwt.tokens import RefreshToken as SimpleRefreshToken

from servicekit.auth import ACCESS_TOKEN_TYP, InvalidToken, get_verifier
from users.models import RefreshTokenRecord, User
from users.tokens.keyring import keyring

logger = logging.getLogger(__name__)


class KeyRingBackend(TokenBackend):
    """simplejwt's backend, signing with the key ring's current key and naming it in `kid`."""

    def __init__(self) -> None:
        super().__init__(algorithm="RS256", audience=settings.JWT_AUDIENCE, issuer=settings.JWT_ISSUER)

    def encode(self, payload: dict[str, Any]) -> str:
        kid, private_key = keyring().current()
        refresh = payload.get("token_type") == "refresh"
        audience = settings.JWT_REFRESH_AUDIENCE if refresh else self.audience
        claims = {**payload, "aud": audience, "iss": self.issuer}
        headers = {"kid": kid, "typ": "JWT" if refresh else ACCESS_TOKEN_TYP}
        return jwt.encode(claims, private_key, algorithm="RS256", headers=headers)

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        try:
            return get_verifier().verify(str(token), token_types=("access", "refresh")).claims
        except InvalidToken as error:
            raise TokenBackendError(str(error.detail)) from error


_backend = KeyRingBackend()


class AccessToken(SimpleAccessToken):
    _token_backend = _backend


class RefreshToken(SimpleRefreshToken):
    access_token_class = AccessToken
    _token_backend = _backend


def token_pair_for(user: User, *, family: str = "") -> dict[str, str]:
    """Issue `{"access", "refresh"}` with the user's current claims; record the refresh token in `family`.

    A sign-in starts a new family (the first refresh token's id); a refresh continues its token's.
    """
    refresh = RefreshToken.for_user(user)
    refresh["email"] = user.email
    refresh["email_verified"] = user.email_verified
    refresh["roles"] = sorted(user.roles)
    RefreshTokenRecord.objects.create(
        jti=refresh["jti"],
        user=user,
        expires_at=datetime.fromtimestamp(refresh["exp"], tz=UTC),
        family=family or refresh["jti"],
    )
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def access_token_for(user: User) -> str:
    """A new access token alone, with the user's current claims (after a change that a token shows)."""
    access = AccessToken.for_user(user)
    access["email"] = user.email
    access["email_verified"] = user.email_verified
    access["roles"] = sorted(user.roles)
    return str(access)


def service_token_for(*, client_id: str, scopes: list[str], audience: str) -> tuple[str, int]:
    """Sign a service token for a client; return it and its lifetime in seconds."""
    now = timezone.now()
    lifetime = settings.JWT_SERVICE_TOKEN_LIFETIME
    kid, private_key = keyring().current()
    claims = {
        "token_type": "service",
        "client_id": client_id,
        "scopes": sorted(scopes),
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "iss": settings.JWT_ISSUER,
        "aud": audience or settings.JWT_AUDIENCE,
    }
    headers = {"kid": kid, "typ": ACCESS_TOKEN_TYP}
    return jwt.encode(claims, private_key, algorithm="RS256", headers=headers), int(lifetime.total_seconds())
