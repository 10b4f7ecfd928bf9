"""Password checks with bounded guessing, for sign-in, the admins, password change and reset alike.

Two counters stand before every check of a secret (a password, or a reset code):

- Per email and client address (`LoginFailure`): LOGIN_FAILURE_LIMIT wrong answers from one
  address lock that address out of that email for LOGIN_LOCKOUT. Only completed wrong answers
  count, so correct sign-ins never lock anyone; and a check is admitted, under the row lock, only
  while failures + checks in flight stay below the limit, so a burst of guesses cannot outrun it.
- Per email from every address (`SignInThrottle`): past LOGIN_FAILURE_LIMIT wrong answers the
  email is slowed down, not locked: one check at a time, the next after a pause that doubles with
  every further failure, up to LOGIN_SLOWDOWN_MAX. Guessing from many addresses stays bounded, and
  the owner, signing in from elsewhere, gets in after at most that pause.

A check in flight normally ends within a second; if its worker dies first nothing lowers the count,
so checks in flight are read as none once the last admission is older than IN_FLIGHT_EXPIRY.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from servicekit.errors import ApplicationError
from users.locks import sign_in_counters_for_update
from users.models import LoginFailure, SignInThrottle, normalize_email

# Far longer than a password check (well under a second) and than gunicorn's worker timeout (30 s),
# so only the count of a check whose worker died is forgotten; until then that check holds a place.
IN_FLIGHT_EXPIRY = timedelta(minutes=2)

T = TypeVar("T")


class LoginLocked(ApplicationError):
    """Too many wrong answers for this email from this address; said the same way whether or not it exists."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"
    default_detail = "Too many failed sign-in attempts; try again later."


class LoginThrottled(ApplicationError):
    """This email had many wrong answers from everywhere: checks are spaced out, try again shortly."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_throttled"
    default_detail = "Too many failed sign-in attempts for this account; try again in a moment."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after  # sent as Retry-After


def is_locked(email: str, address: str) -> bool:
    """Tell whether checks for this email from this address are locked just now."""
    return LoginFailure.objects.filter(
        email=normalize_email(email), address=address, locked_until__gt=timezone.now()
    ).exists()


def _bring_up_to_date(attempt: LoginFailure, now: datetime) -> None:
    """Forget an ended lock or a streak older than LOGIN_LOCKOUT, and checks in flight past their expiry."""
    if (attempt.locked_until is not None and attempt.locked_until <= now) or (
        attempt.locked_until is None and attempt.last_failed_at < now - settings.LOGIN_LOCKOUT
    ):
        attempt.failures, attempt.locked_until = 0, None  # the lock, or the streak, is over
    if attempt.in_flight_at is None or attempt.in_flight_at < now - IN_FLIGHT_EXPIRY:
        attempt.in_flight = 0


def _slowdown(failures: int) -> timedelta:
    """The pause before the next check of an email with `failures` past the limit: 1, 2, 4 ... seconds."""
    excess = failures - settings.LOGIN_FAILURE_LIMIT
    return timedelta(seconds=min(2.0 ** max(excess, 0), settings.LOGIN_SLOWDOWN_MAX.total_seconds()))


@transaction.atomic
def begin_attempt(email: str, address: str) -> ApplicationError | None:
    """Admit a check for this email from this address, counting it in flight; else say why not.

    The email's row is locked before the address's, always in that order.
    """
    now = timezone.now()
    throttle, attempt = sign_in_counters_for_update(email, address)
    if attempt.locked_until is not None and attempt.locked_until > now:
        return LoginLocked()
    _bring_up_to_date(attempt, now)
    if attempt.failures + attempt.in_flight >= settings.LOGIN_FAILURE_LIMIT:
        return LoginLocked()  # no lock is set: this lasts only while the checks in flight finish
    if throttle.last_failed_at < now - settings.LOGIN_LOCKOUT:
        throttle.failures, throttle.next_check_at = 0, None  # that streak is over
    if throttle.failures >= settings.LOGIN_FAILURE_LIMIT:
        if throttle.next_check_at is not None and throttle.next_check_at > now:
            return LoginThrottled(math.ceil((throttle.next_check_at - now).total_seconds()))
        # One check at a time: the next waits at least as long as a failure of this one would make it.
        throttle.next_check_at = now + _slowdown(throttle.failures + 1)
        throttle.save()
    attempt.in_flight += 1
    attempt.in_flight_at = now
    attempt.save()
    return None


@transaction.atomic
def finish_attempt(email: str, address: str, *, succeeded: bool | None) -> None:
    """End a check `begin_attempt` admitted: a failure counts (and locks at the limit), a success ends the streaks.

    `succeeded=None` (the check itself raised) only releases its place.
    """
    now = timezone.now()
    # Made again if missing: an admin (or pruning) may have deleted a row while the check ran.
    throttle, attempt = sign_in_counters_for_update(email, address)
    _bring_up_to_date(attempt, now)
    attempt.in_flight = max(attempt.in_flight - 1, 0)
    locked = attempt.locked_until is not None and attempt.locked_until > now
    if succeeded:
        throttle.delete()
        attempt.failures = 0  # a lock other checks earned meanwhile stays until it ends
        if attempt.in_flight == 0 and not locked:
            attempt.delete()
            return
    elif succeeded is False:
        attempt.failures += 1
        attempt.last_failed_at = now
        if attempt.failures >= settings.LOGIN_FAILURE_LIMIT and not locked:
            attempt.locked_until = now + settings.LOGIN_LOCKOUT
        throttle.failures += 1
        throttle.last_failed_at = now
        if throttle.failures >= settings.LOGIN_FAILURE_LIMIT:
            throttle.next_check_at = max(throttle.next_check_at or now, now + _slowdown(throttle.failures))
        throttle.save()
    elif throttle.failures == 0:
        throttle.delete()
    attempt.save()


def guarded_check(email: str, address: str, check: Callable[[], T], *, failed: Callable[[T], bool]) -> T:
    """Run `check` (which compares a secret) if this email and address may be checked now, and count it.

    Raises LoginLocked or LoginThrottled, unchecked, when they may not. `failed(result)` says whether
    the result is a wrong answer.
    """
    email = normalize_email(email)
    refusal = begin_attempt(email, address)
    if refusal is not None:
        raise refusal
    succeeded: bool | None = None
    try:
        result = check()
        succeeded = not failed(result)
    finally:
        finish_attempt(email, address, succeeded=succeeded)
    return result


def prune_login_failures(*, before: datetime) -> int:
    """Forget failure counts last touched before `before` whose lock, if any, is over and with no check in flight."""
    now = timezone.now()
    deleted, _ = (
        LoginFailure.objects.filter(last_failed_at__lt=before)
        .exclude(locked_until__gt=now)
        .exclude(in_flight__gt=0, in_flight_at__gte=now - IN_FLIGHT_EXPIRY)
        .delete()
    )
    throttles, _ = SignInThrottle.objects.filter(last_failed_at__lt=before).exclude(next_check_at__gt=now).delete()
    return deleted + throttles
