"""auth's row locks, each named for what it locks, on servicekit.locks.

Where two rows are locked, the order is fixed here: a sign-in locks the email's slow-down row
before the address's failure row, always.
"""

from __future__ import annotations

import uuid

from servicekit.locks import lock_one, lock_or_make
from users.models import LoginFailure, OneTimeCode, SignInThrottle, User, normalize_email


def user_for_update(user_id: uuid.UUID | str) -> User | None:
    """The user, locked: orders a refresh, a sign-out everywhere and a code resend of one user."""
    return lock_one(User.objects.filter(pk=user_id))


def active_user_by_email_for_update(email: str) -> User | None:
    """The active user with this address, locked (one password reset email at a time), or None."""
    return lock_one(User.objects.filter(email=normalize_email(email), is_active=True))


def code_for_update(*, user_id: uuid.UUID | str, purpose: str) -> OneTimeCode | None:
    """The user's current code for `purpose`, locked while it is checked, or None."""
    return lock_one(OneTimeCode.objects.filter(user_id=user_id, purpose=purpose))


def sign_in_counters_for_update(email: str, address: str) -> tuple[SignInThrottle, LoginFailure]:
    """The email's slow-down row, then its failure row for `address`, both locked; made when missing.

    An admin (or pruning) may delete either row at any moment: a missing one is made again. One
    statement each: they are the writes of every sign-in.
    """
    throttle = lock_or_make(SignInThrottle, email=email)
    failure = lock_or_make(LoginFailure, email=email, address=address)
    return throttle, failure
