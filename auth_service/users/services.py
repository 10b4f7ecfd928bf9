"""Writes on users: registration, profile, password, roles, sign-in."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions, status

from servicekit.errors import ApplicationError
from servicekit.events import publish_event
from users.backends import IN_FLIGHT_EXPIRY, is_locked, sign_in_refused
from users.models import LoginFailure, Role, User, normalize_email
from users.tokens import token_pair_for, token_revoke

DUPLICATE_EMAIL = "A user with this email already exists."


class LoginLocked(ApplicationError):
    """Too many failed sign-ins for this email; said the same way whether or not the email exists."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"
    default_detail = "Too many failed sign-in attempts; try again later."


class BadCredentials(exceptions.AuthenticationFailed):
    """Wrong email or password; never says which."""

    default_code = "no_active_account"
    default_detail = "No active account found with the given credentials."


def _validated_password(password: str, *, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


@transaction.atomic
def user_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create an active customer; the password must pass the configured validators."""
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique")
    _validated_password(password, user=User(email=email, full_name=full_name))
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
            publish_event(
                "user.registered",
                {"user_id": str(user.id), "email": user.email, "full_name": user.full_name},
                aggregate=f"user:{user.id}",
            )
            return user
    except IntegrityError as error:
        # Two registrations raced past the check above; the unique constraint decided.
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique") from error


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None) -> User:
    """Change the fields a user may edit on their own profile."""
    if full_name is not None:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "updated_at"])
    return user


def user_sign_in(*, request: HttpRequest, email: str, password: str) -> dict[str, str]:
    """Check credentials (the backend counts failures per email); return a token pair.

    A sign-in the backend refused unchecked (locked, or as many checks in flight as the limit allows)
    is answered as locked, never as wrong credentials.
    """
    if is_locked(email):
        raise LoginLocked()
    user = authenticate(request, email=email, password=password)
    if user is None and sign_in_refused():
        raise LoginLocked()
    if user is None or not user.is_active:
        raise BadCredentials()
    update_last_login(User, user)
    return token_pair_for(user)


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> dict[str, str]:
    """Set a new password after checking the old one; revoke every refresh token; return a new pair."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is not correct."]})
    _validated_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    token_revoke(user=user, everything=True)
    publish_event("user.password_changed", {"user_id": str(user.id), "email": user.email}, aggregate=f"user:{user.id}")
    return token_pair_for(user)


@transaction.atomic
def user_set_access(*, user: User, actor: User, roles: list[str] | None = None, is_active: bool | None = None) -> User:
    """An admin grants or removes roles and (de)activates a user; a deactivated user's sessions end."""
    if user.pk == actor.pk and (is_active is False or (roles is not None and Role.ADMIN not in roles)):
        raise ValidationError({"roles": ["You cannot remove your own admin access."]})
    fields = ["updated_at"]
    if roles is not None:
        user.roles = sorted(set(roles))
        fields.append("roles")
    if is_active is not None:
        user.is_active = is_active
        fields.append("is_active")
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)
    if is_active is False:
        token_revoke(user=user, everything=True)
    return user


def prune_login_failures(*, before: datetime) -> int:
    """Forget failure counts last touched before `before` whose lock, if any, is over and with no check in flight."""
    now = timezone.now()
    deleted, _ = (
        LoginFailure.objects.filter(last_failed_at__lt=before)
        .exclude(locked_until__gt=now)
        .exclude(in_flight__gt=0, in_flight_at__gte=now - IN_FLIGHT_EXPIRY)
        .delete()
    )
    return deleted
