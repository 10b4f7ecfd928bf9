"""Password sign-in with a per-email failure limit, for the API and the Django admin alike.

Each email (existing or not) has a `LoginFailure` row holding its failure streak and the password
checks in flight. Only completed wrong passwords count towards the lock, so any number of correct
sign-ins (one after another or at once) never locks an account. Guesses cannot outrun the count
either: a check is admitted, under the row lock, only while failures + checks in flight is below
LOGIN_FAILURE_LIMIT, so at most that many passwords are ever evaluated per lockout window, whether
the guesses come one by one or all at once.

A check in flight normally ends within a second; if its worker dies first nothing lowers the count,
so checks in flight are read as none once the last admission is older than IN_FLIGHT_EXPIRY.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from users.models import LoginFailure, User, normalize_email

# Far longer than a password check (well under a second) and than gunicorn's worker timeout (30 s),
# so only the count of a check whose worker died is forgotten; until then that check holds a place.
IN_FLIGHT_EXPIRY = timedelta(minutes=2)

_refused: ContextVar[bool] = ContextVar("sign_in_refused", default=False)


def is_locked(email: str) -> bool:
    """Tell whether sign-in for this email (existing or not) is locked just now."""
    return LoginFailure.objects.filter(email=normalize_email(email), locked_until__gt=timezone.now()).exists()


def sign_in_refused() -> bool:
    """Tell whether this thread's last password sign-in was refused unchecked (locked, or too many in flight)."""
    return _refused.get()


def _bring_up_to_date(attempt: LoginFailure, now: datetime) -> None:
    """Forget an ended lock or a streak older than LOGIN_LOCKOUT, and checks in flight past their expiry."""
    if (attempt.locked_until is not None and attempt.locked_until <= now) or (
        attempt.locked_until is None and attempt.last_failed_at < now - settings.LOGIN_LOCKOUT
    ):
        attempt.failures, attempt.locked_until = 0, None  # the lock, or the streak, is over
    if attempt.in_flight_at is None or attempt.in_flight_at < now - IN_FLIGHT_EXPIRY:
        attempt.in_flight = 0


@transaction.atomic
def begin_attempt(email: str) -> bool:
    """Admit a password check for this email, counting it in flight; False if locked or at the limit.

    Refusing at the limit sets no lock: it lasts only while the checks in flight finish.
    """
    now = timezone.now()
    attempt, _ = LoginFailure.objects.select_for_update().get_or_create(email=email)
    if attempt.locked_until is not None and attempt.locked_until > now:
        return False
    _bring_up_to_date(attempt, now)
    if attempt.failures + attempt.in_flight >= settings.LOGIN_FAILURE_LIMIT:
        return False
    attempt.in_flight += 1
    attempt.in_flight_at = now
    attempt.save()
    return True


@transaction.atomic
def finish_attempt(email: str, *, succeeded: bool | None) -> None:
    """End a check `begin_attempt` admitted: a failure counts (and locks at the limit), a success ends the streak.

    `succeeded=None` (the check itself raised) only releases its place.
    """
    now = timezone.now()
    # get_or_create: an admin (or pruning) may have deleted the row while the check ran.
    attempt, _ = LoginFailure.objects.select_for_update().get_or_create(email=email)
    _bring_up_to_date(attempt, now)
    attempt.in_flight = max(attempt.in_flight - 1, 0)
    locked = attempt.locked_until is not None and attempt.locked_until > now
    if succeeded:
        attempt.failures = 0  # a lock other checks earned meanwhile stays until it ends
        if attempt.in_flight == 0 and not locked:
            attempt.delete()
            return
    elif succeeded is False:
        attempt.failures += 1
        attempt.last_failed_at = now
        if attempt.failures >= settings.LOGIN_FAILURE_LIMIT and not locked:
            attempt.locked_until = now + settings.LOGIN_LOCKOUT
    attempt.save()


class LockoutModelBackend(ModelBackend):
    """Django's email and password check, refusing an email after too many failed attempts."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        _refused.set(False)
        email = normalize_email(kwargs.get(User.USERNAME_FIELD) or username or "")
        if not email or password is None:
            return None
        if not begin_attempt(email):
            _refused.set(True)
            raise PermissionDenied("locked")  # stops Django trying other backends
        succeeded: bool | None = None
        try:
            user = super().authenticate(request, username=email, password=password)
            succeeded = user is not None
        finally:
            finish_attempt(email, succeeded=succeeded)
        return user
