"""Writes on users: registration, sign-in, profile, password, roles, and proving an address is one's own."""

from __future__ import annotations

import math
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions, status

from servicekit.errors import ApplicationError, Conflict
from servicekit.events import publish_event
from servicekit.requestid import client_address
from users import codes
from users.addresses import validated_new_email
from users.backends import IN_FLIGHT_EXPIRY, LoginLocked, guarded_check, is_locked, last_refusal
from users.codes import Checked, Purpose
from users.mail import send_code_after_commit
from users.models import LoginFailure, Role, SignInThrottle, User, normalize_email
from users.tokens import access_token_for, token_pair_for, token_revoke

DUPLICATE_EMAIL = "A user with this email already exists."

__all__ = ["BadCredentials", "LoginLocked"]


class BadCredentials(exceptions.AuthenticationFailed):
    """Wrong email or password; never says which."""

    default_code = "no_active_account"
    default_detail = "No active account found with the given credentials."


class InvalidCode(ApplicationError):
    """A code that is wrong, expired, used or out of tries: said the same way for each."""

    default_code = "invalid_code"
    default_detail = "The code is wrong or no longer valid; ask for a new one if it has expired."

    def __init__(self) -> None:
        super().__init__(fields={"code": [str(self.default_detail)]})


class CodeRecentlySent(ApplicationError):
    """A code email was sent a moment ago; another may be asked for shortly."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "code_recently_sent"
    default_detail = "A code was sent a moment ago; ask again in a minute."

    def __init__(self, wait: float) -> None:
        super().__init__()
        self.wait = math.ceil(wait)  # DRF's exception handler sends it as Retry-After


class AlreadyVerified(Conflict):
    default_code = "email_already_verified"
    default_detail = "This email address is already verified."


def _validated_password(password: str, *, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def _send_code(user: User, purpose: str) -> None:
    """Make a new code for `user` and email it once the caller's transaction commits."""
    code = codes.code_issue(user=user, purpose=purpose)
    minutes = int(codes.CODE_LIFETIME.total_seconds() // 60)
    send_code_after_commit(purpose=purpose, address=user.email, code=code, minutes=minutes)


@transaction.atomic
def user_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create an active customer and email a code to verify the address; the password must pass the validators."""
    try:
        email = validated_new_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}, code="invalid") from error
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
    except IntegrityError as error:
        # Two registrations raced past the check above; the unique constraint decided.
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique") from error
    _send_code(user, Purpose.VERIFY_EMAIL)
    return user


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None) -> User:
    """Change the fields a user may edit on their own profile."""
    if full_name is not None:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "updated_at"])
    return user


def user_sign_in(*, request: HttpRequest, email: str, password: str) -> dict[str, str]:
    """Check credentials (counted per email and client address); return a token pair.

    A sign-in refused unchecked (locked, throttled, or as many checks in flight as the limit
    allows) is answered as such, never as wrong credentials.
    """
    if is_locked(email, client_address(request)):
        raise LoginLocked()
    user = authenticate(request, email=email, password=password)
    refusal = last_refusal()
    if user is None and refusal is not None:
        raise refusal
    if user is None or not user.is_active:
        raise BadCredentials()
    update_last_login(User, user)
    return token_pair_for(user)


def user_change_password(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> dict[str, str]:
    """Set a new password after checking the old one (counted like a sign-in); revoke every refresh token."""
    correct = guarded_check(
        user.email, client_address(request), lambda: user.check_password(old_password), failed=lambda ok: not ok
    )
    if not correct:
        raise ValidationError({"old_password": ["The current password is not correct."]})
    _validated_password(new_password, user=user, field="new_password")
    return _set_password(user=user, password=new_password)


@transaction.atomic
def _set_password(*, user: User, password: str) -> dict[str, str]:
    user.set_password(password)
    user.save(update_fields=["password", "email_verified", "updated_at"])
    token_revoke(user=user, everything=True)
    publish_event("user.password_changed", {"user_id": str(user.id), "email": user.email}, aggregate=f"user:{user.id}")
    return token_pair_for(user)


@transaction.atomic
def user_set_access(
    *,
    user: User,
    actor: User,
    roles: list[str] | None = None,
    is_active: bool | None = None,
    email_verified: bool | None = None,
) -> User:
    """An admin grants or removes roles, (de)activates a user, or marks their address verified or not."""
    if user.pk == actor.pk and (is_active is False or (roles is not None and Role.ADMIN not in roles)):
        raise ValidationError({"roles": ["You cannot remove your own admin access."]})
    fields = ["updated_at"]
    if roles is not None:
        user.roles = sorted(set(roles))
        fields.append("roles")
    if is_active is not None:
        user.is_active = is_active
        fields.append("is_active")
    if email_verified is not None:
        user.email_verified = email_verified
        fields.append("email_verified")
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)
    if is_active is False:
        token_revoke(user=user, everything=True)
    return user


def email_verify(*, user: User, code: str) -> tuple[User, str]:
    """Mark the user's address verified with the code sent to it; return the user and a new access token."""
    if user.email_verified:
        return user, access_token_for(user)
    if codes.code_check(user=user, purpose=Purpose.VERIFY_EMAIL, code=code) is not Checked.MATCHES:
        raise InvalidCode()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(email_verified=True, updated_at=timezone.now())
        user.refresh_from_db()
    return user, access_token_for(user)


@transaction.atomic
def email_verification_resend(*, user: User) -> None:
    """Email a new verification code, at most one per CODE_RESEND_SECONDS."""
    if user.email_verified:
        raise AlreadyVerified()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one resend at a time per user
    since = codes.seconds_since_issued(user=user, purpose=Purpose.VERIFY_EMAIL)
    if since is not None and since < settings.CODE_RESEND_SECONDS:
        raise CodeRecentlySent(settings.CODE_RESEND_SECONDS - since)
    _send_code(user, Purpose.VERIFY_EMAIL)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Email a reset code if an active user has this address; do the same work, and say nothing, if not."""
    user = User.objects.select_for_update().filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        return
    since = codes.seconds_since_issued(user=user, purpose=Purpose.RESET_PASSWORD)
    if since is not None and since < settings.CODE_RESEND_SECONDS:
        return  # one email a minute at most; the answer stays the same
    _send_code(user, Purpose.RESET_PASSWORD)


def password_reset_confirm(*, request: HttpRequest | None, email: str, code: str, new_password: str) -> None:
    """Set a new password with a reset code; wrong codes count like wrong passwords; every session ends."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()

    def check() -> Checked:
        if user is None:
            return Checked.WRONG
        return codes.code_check(user=user, purpose=Purpose.RESET_PASSWORD, code=code, use=False)

    found = guarded_check(email, client_address(request), check, failed=lambda result: result is not Checked.MATCHES)
    if found is not Checked.MATCHES or user is None:
        raise InvalidCode()
    _validated_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        codes.code_use(user=user, purpose=Purpose.RESET_PASSWORD)
        user.email_verified = True  # the code reached the address: it is theirs
        _set_password(user=user, password=new_password)


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
