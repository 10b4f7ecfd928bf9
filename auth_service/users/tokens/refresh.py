"""Refresh token families: each refresh token is used once, and one used twice revokes its whole family.

Refresh tokens rotate: each one is recorded when issued and revoked, exactly once, when used. All
the tokens rotated from one sign-in are a family; presenting one that was already rotated (RFC 9700
reuse detection: a stolen copy, used by the thief or by the owner second) revokes the whole family.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import jwt
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from servicekit.auth import InvalidToken, get_verifier
from users.locks import user_for_update
from users.models import RefreshTokenRecord, User
from users.tokens.issuing import token_pair_for

logger = logging.getLogger(__name__)


class RefreshRefused(InvalidToken):
    """The refresh token was already used, revoked or belongs to a user who may no longer sign in."""

    default_detail = "Refresh token is no longer valid; sign in again."
    default_code = "token_revoked"


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
        user = user_for_update(claims["user_id"])
    except (ValidationError, ValueError) as error:
        raise RefreshRefused() from error
    if user is None:
        raise RefreshRefused()
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
    user_for_update(user.pk)  # waits for refreshes in flight
    tokens = RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=True)
    if not everything:
        if not refresh:
            raise InvalidToken("A refresh token is required.", code="token_required")
        claims = get_verifier().decode(refresh, token_type="refresh")
        if claims["user_id"] != str(user.id):
            raise InvalidToken("This refresh token belongs to someone else.")
        tokens = tokens.filter(jti=claims["jti"])
    return tokens.update(revoked_at=timezone.now())


def refresh_token_is_live(claims: dict[str, Any]) -> bool:
    """Tell whether a verified refresh token has not been used, revoked or expired."""
    return RefreshTokenRecord.objects.filter(
        jti=claims["jti"], revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def prune_refresh_tokens(*, before: datetime) -> int:
    """Delete records of refresh tokens that expired before `before`; they can never be used again."""
    deleted, _ = RefreshTokenRecord.objects.filter(expires_at__lt=before).delete()
    return deleted
