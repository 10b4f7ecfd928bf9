"""Password sign-in with a per-email failure limit, for the API and the Django admin alike."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from users.models import LoginFailure, User, normalize_email


def is_locked(email: str) -> bool:
    """Tell whether sign-in for this email (existing or not) is locked just now."""
    return LoginFailure.objects.filter(email=normalize_email(email), locked_until__gt=timezone.now()).exists()


@transaction.atomic
def count_attempt(email: str) -> bool:
    """Count a sign-in attempt before the password is checked; False if the email is locked.

    Counting first, under the row lock, means concurrent guesses cannot all slip in before the
    first failure is recorded: at most LOGIN_FAILURE_LIMIT attempts are ever evaluated per lockout.
    """
    now = timezone.now()
    attempt, _ = LoginFailure.objects.select_for_update().get_or_create(email=email)
    if attempt.locked_until is not None and attempt.locked_until > now:
        return False
    if attempt.locked_until is not None or attempt.last_failed_at < now - settings.LOGIN_LOCKOUT:
        attempt.failures, attempt.locked_until = 0, None  # the lock, or the streak, is over
    attempt.failures += 1
    attempt.last_failed_at = now
    if attempt.failures >= settings.LOGIN_FAILURE_LIMIT:
        attempt.locked_until = now + settings.LOGIN_LOCKOUT
    attempt.save()
    return True


class LockoutModelBackend(ModelBackend):
    """Django's email and password check, refusing an email after too many failed attempts."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        email = normalize_email(kwargs.get(User.USERNAME_FIELD) or username or "")
        if not email or password is None:
            return None
        if not count_attempt(email):
            raise PermissionDenied("locked")  # stops Django trying other backends
        user = super().authenticate(request, username=email, password=password)
        if user is not None:
            LoginFailure.objects.filter(email=email).delete()
        return user
