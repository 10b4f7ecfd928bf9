"""Tokens auth issues: simplejwt builds the claims, the key ring signs them with a `kid`.

Refresh tokens rotate: each one is recorded when issued and revoked, exactly once, when used.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.tokens import AccessToken as SimpleAccessToken
from rest_framework_simplejwt.tokens import RefreshToken as SimpleRefreshToken

from servicekit.auth import InvalidToken, get_verifier
from users.keyring import keyring
from users.models import RefreshTokenRecord, User


class KeyRingBackend(TokenBackend):
    """simplejwt's backend, signing with the key ring's current key and naming it in `kid`."""

    def __init__(self) -> None:
        super().__init__(algorithm="RS256", audience=settings.JWT_AUDIENCE, issuer=settings.JWT_ISSUER)

    def encode(self, payload: dict[str, Any]) -> str:
        kid, private_key = keyring().current()
        claims = {**payload, "aud": self.audience, "iss": self.issuer}
        return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})

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


class RefreshRefused(InvalidToken):
    """The refresh token was already used, revoked or belongs to a user who may no longer sign in."""

    default_detail = "Refresh token is no longer valid; sign in again."
    default_code = "token_revoked"


def token_pair_for(user: User) -> dict[str, str]:
    """Issue `{"access", "refresh"}` with the user's current email and roles; record the refresh token."""
    refresh = RefreshToken.for_user(user)
    refresh["email"] = user.email
    refresh["roles"] = sorted(user.roles)
    RefreshTokenRecord.objects.create(
        jti=refresh["jti"], user=user, expires_at=datetime.fromtimestamp(refresh["exp"], tz=UTC)
    )
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Trade a refresh token for a new pair, re-reading the user; of concurrent uses exactly one wins."""
    claims = get_verifier().decode(refresh, token_type="refresh")
    try:
        # Locking the user orders this refresh against a concurrent "revoke everything".
        user = User.objects.select_for_update().get(id=claims["user_id"])
    except (User.DoesNotExist, ValueError) as error:
        raise RefreshRefused() from error
    # The conditional UPDATE is the lock: a concurrent refresh with the same token blocks on the
    # row, then finds it revoked and updates nothing.
    now = timezone.now()
    used = RefreshTokenRecord.objects.filter(
        jti=claims["jti"], user=user, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
    if used != 1 or not user.is_active:
        raise RefreshRefused()
    pair = token_pair_for(user)
    new_jti = jwt.decode(pair["refresh"], options={"verify_signature": False})["jti"]
    RefreshTokenRecord.objects.filter(jti=claims["jti"]).update(replaced_by=new_jti)
    return pair


@transaction.atomic
def token_revoke(*, user: User, refresh: str | None = None, everything: bool = False) -> int:
    """Revoke one refresh token of `user`, or every one of them; return how many were revoked."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # waits for refreshes in flight
    tokens = RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=True)
    if not everything:
        if not refresh:
            raise InvalidToken("A refresh token is required.", code="token_required")
        claims = get_verifier().decode(refresh, token_type="refresh")
        if claims["user_id"] != str(user.id):
            raise InvalidToken("This refresh token belongs to someone else.")
        tokens = tokens.filter(jti=claims["jti"])
    return tokens.update(revoked_at=timezone.now())


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
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid}), int(lifetime.total_seconds())


def refresh_token_is_live(claims: dict[str, Any]) -> bool:
    """Tell whether a verified refresh token has not been used, revoked or expired."""
    return RefreshTokenRecord.objects.filter(
        jti=claims["jti"], revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def prune_refresh_tokens(*, before: datetime) -> int:
    """Delete records of refresh tokens that expired before `before`; they can never be used again."""
    deleted, _ = RefreshTokenRecord.objects.filter(expires_at__lt=before).delete()
    return deleted
