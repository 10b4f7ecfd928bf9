"""Tokens auth issues: simplejwt builds the claims, the key ring signs them with a `kid`.

Access tokens say `typ: at+jwt` (RFC 9068) and are addressed to the platform (JWT_AUDIENCE);
refresh tokens are addressed to auth alone (JWT_REFRESH_AUDIENCE), so no other service, nor a
third party checking `iss`, `aud` and the signature, takes one for an access token.

Refresh tokens rotate: each one is recorded when issued and revoked, exactly once, when used. All
the tokens rotated from one sign-in are a family; presenting one that was already rotated (RFC 9700
reuse detection: a stolen copy, used by the thief or by the owner second) revokes the whole family.
"""

from __future__ import annotations

import logging
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

from servicekit.auth import ACCESS_TOKEN_TYP, InvalidToken, get_verifier
from users.keyring import keyring
from users.models import RefreshTokenRecord, User

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


class RefreshRefused(InvalidToken):
    """The refresh token was already used, revoked or belongs to a user who may no longer sign in."""

    default_detail = "Refresh token is no longer valid; sign in again."
    default_code = "token_revoked"


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


class RefreshReused(RefreshRefused):
    """A refresh token that was already rotated came back: its whole family is revoked."""


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Trade a refresh token for a new pair, re-reading the user; of concurrent uses exactly one wins.

    A token that was already rotated revokes every token of its family, committed before the refusal.
    """
    claims = get_verifier().decode(refresh, token_type="refresh")
    pair = _rotate(claims)
    if pair is None:
        raise RefreshReused()
    return pair


@transaction.atomic
def _rotate(claims: dict[str, Any]) -> dict[str, str] | None:
    """The new pair, or None when the token was already rotated (its family is then revoked)."""
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
    if used != 1:
        record = RefreshTokenRecord.objects.filter(jti=claims["jti"], user=user).first()
        if record is not None and record.replaced_by:
            revoked = RefreshTokenRecord.objects.filter(family=record.family, revoked_at__isnull=True).update(
                revoked_at=now
            )
            logger.warning("refresh token reused: its family is revoked", extra={"revoked": revoked})
            return None
        raise RefreshRefused()
    if not user.is_active:
        raise RefreshRefused()
    family = RefreshTokenRecord.objects.filter(jti=claims["jti"]).values_list("family", flat=True).first()
    pair = token_pair_for(user, family=family or claims["jti"])
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
    headers = {"kid": kid, "typ": ACCESS_TOKEN_TYP}
    return jwt.encode(claims, private_key, algorithm="RS256", headers=headers), int(lifetime.total_seconds())


def refresh_token_is_live(claims: dict[str, Any]) -> bool:
    """Tell whether a verified refresh token has not been used, revoked or expired."""
    return RefreshTokenRecord.objects.filter(
        jti=claims["jti"], revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def prune_refresh_tokens(*, before: datetime) -> int:
    """Delete records of refresh tokens that expired before `before`; they can never be used again."""
    deleted, _ = RefreshTokenRecord.objects.filter(expires_at__lt=before).delete()
    return deleted
