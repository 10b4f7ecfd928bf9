"""One-time codes sent by email: six digits, valid 15 minutes, a few wrong tries, once, the newest only.

Only an HMAC of a code (keyed with this service's secret, bound to the user and the purpose) is
stored, so a copy of the database tells nothing, and codes are compared in constant time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicekit.errors import ApplicationError
from users.locks import code_for_update
from users.models import OneTimeCode, User

Purpose = OneTimeCode.Purpose
CODE_LIFETIME = timedelta(minutes=15)
MAX_WRONG_TRIES = 5


class InvalidCode(ApplicationError):
    """A code that is wrong, expired, used or out of tries: said the same way for each."""

    default_code = "invalid_code"
    default_detail = "The code is wrong or no longer valid; ask for a new one if it has expired."

    def __init__(self) -> None:
        super().__init__(fields={"code": [str(self.default_detail)]})


class Checked(enum.Enum):
    """What checking a code found."""

    MATCHES = "matches"
    WRONG = "wrong"  # counted against the code
    UNUSABLE = "unusable"  # none, expired, used, or out of tries


def _digest(*, user: User, purpose: str, code: str) -> str:
    message = f"{purpose}:{user.pk}:{code}".encode()
    key = settings.SECRET_KEY
    return hmac.new(key if isinstance(key, bytes) else key.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def code_issue(*, user: User, purpose: str) -> str:
    """Make a new code for `user` and `purpose`, replacing any earlier one; return it (to be emailed)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    OneTimeCode.objects.filter(user=user, purpose=purpose).delete()
    OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=_digest(user=user, purpose=purpose, code=code),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    return code


def seconds_since_issued(*, user: User, purpose: str) -> float | None:
    """How long ago the current code of `user` and `purpose` was made, or None if there is none."""
    created = OneTimeCode.objects.filter(user=user, purpose=purpose).values_list("created_at", flat=True).first()
    return None if created is None else (timezone.now() - created).total_seconds()


@transaction.atomic
def code_check(*, user: User, purpose: str, code: str, use: bool = True) -> Checked:
    """Check a code; a wrong one counts against it (committed whatever the caller does next).

    `use=False` checks without using the code up (the caller then calls `code_use`).
    """
    now = timezone.now()
    stored = code_for_update(user_id=user.pk, purpose=purpose)
    if stored is None or stored.used_at is not None or stored.expires_at <= now:
        return Checked.UNUSABLE
    if stored.failed_tries >= MAX_WRONG_TRIES:
        return Checked.UNUSABLE
    if not hmac.compare_digest(stored.code_hash, _digest(user=user, purpose=purpose, code=code)):
        stored.failed_tries += 1
        stored.save(update_fields=["failed_tries"])
        return Checked.WRONG
    if use:
        stored.used_at = now
        stored.save(update_fields=["used_at"])
    return Checked.MATCHES


def code_use(*, user: User, purpose: str) -> None:
    """Use up the current code of `user` and `purpose` (in the caller's transaction)."""
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=timezone.now())


def prune_codes(*, before: datetime) -> int:
    """Delete codes that expired before `before`: they can never be used."""
    deleted, _ = OneTimeCode.objects.filter(expires_at__lt=before).delete()
    return deleted
