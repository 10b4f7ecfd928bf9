"""The backend of every password sign-in, the API's and the admin's: Django's check, behind the lockout."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from servicekit.errors import ApplicationError
from servicekit.requestid import client_address
from users.models import User, normalize_email
from users.signin.lockout import LoginLocked, LoginThrottled, guarded_check

_refusal: ContextVar[ApplicationError | None] = ContextVar("sign_in_refusal", default=None)


def last_refusal() -> ApplicationError | None:
    """Why this thread's last password check was refused unchecked (locked or throttled), or None."""
    return _refusal.get()


class LockoutModelBackend(ModelBackend):
    """Django's email and password check, behind the lockout's counters (the API's sign-in and the admin's)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        _refusal.set(None)
        email = normalize_email(kwargs.get(User.USERNAME_FIELD) or username or "")
        if not email or password is None:
            return None
        address = client_address(request)
        try:
            return guarded_check(
                email,
                address,
                lambda: super(LockoutModelBackend, self).authenticate(request, username=email, password=password),
                failed=lambda user: user is None,
            )
        except (LoginLocked, LoginThrottled) as refusal:
            _refusal.set(refusal)
            raise PermissionDenied("locked") from refusal  # stops Django trying other backends
