"""One sign-in for every service's admin: staff use their auth_service email and password.

The service asks auth for a token with the credentials (auth counts failures and locks, as for
any sign-in), verifies that token like any other, and admits only the `staff` and `admin` roles.
It keeps a local shadow of the person (the `auth.User` row named by their auth id) for the
session and the admin log; roles are read afresh at every sign-in, and an admin session is short
(ADMIN_SESSION_SECONDS), so a role removed in auth stops working soon.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractUser, Permission
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework.exceptions import APIException

from servicekit.auth import get_verifier
from servicekit.http import ServiceClient, ServiceUnavailable
from servicekit.requestid import client_address

logger = logging.getLogger(__name__)

STAFF_ROLES = frozenset({"staff", "admin"})


class AuthServiceBackend(ModelBackend):
    """Authenticate admin sign-ins against auth_service; the shadow user mirrors the token's roles.

    Permissions are Django's usual ones (ModelBackend), granted to the shadow by `shadow_user`.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> AbstractUser | None:
        if not username or not password:
            return None
        try:
            # auth counts failures per email and client address: the client's, as the gateway saw it.
            response = ServiceClient(settings.AUTH_INTERNAL_URL).request(
                "POST",
                "/auth/api/token/",
                json={"email": username, "password": password},
                headers={"X-Real-IP": client_address(request)} if client_address(request) else None,
            )
        except ServiceUnavailable:
            logger.warning("admin sign-in: auth_service unavailable")
            return None
        if response.status_code != 200:
            return None
        try:
            claims = get_verifier().decode(response.json()["access"])
            return shadow_user(claims)
        except (APIException, IntegrityError, KeyError, ValueError):
            # Keys unavailable, a token auth should not have sent, two first sign-ins racing: refuse.
            logger.warning("admin sign-in refused: the token could not be checked")
            return None

    def get_user(self, user_id: Any) -> Any:
        return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()


@transaction.atomic
def shadow_user(claims: dict[str, Any]) -> AbstractUser | None:
    """Create or update the local shadow of a verified token's user; None unless staff or admin."""
    roles = set(claims.get("roles", []))
    is_staff = bool(roles & STAFF_ROLES)
    model = get_user_model()
    user, _ = model.objects.get_or_create(username=str(claims["user_id"]))
    user.email = str(claims.get("email", ""))
    user.first_name = user.email[:150]  # the admin greets people by this
    user.is_staff = is_staff
    user.is_superuser = "admin" in roles
    user.is_active = is_staff
    user.set_unusable_password()
    user.save()
    if not is_staff:
        return None  # refused; the shadow (if any) can no longer be used by a session either
    if not user.is_superuser:
        # Staff may see and act on this service's own data; administrators may do everything.
        user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=staff_apps()))
    return user


def staff_apps() -> list[str]:
    """The app labels whose models staff manage in this service's admin."""
    return [app.rsplit(".", 1)[-1] for app in settings.INSTALLED_APPS if not app.startswith("django.")]


class EmailAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in, labelled for the email address people use everywhere in the shop."""

    username = forms.CharField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True}))

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Enter the email and password of a staff account of the shop.",
    }
