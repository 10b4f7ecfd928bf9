"""Proving an address is one's own: the code emailed at registration (or again on request) marks it verified."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from servicekit.errors import ApplicationError, Conflict
from users.locks import user_for_update
from users.models import User
from users.people import codes
from users.people.codes import Checked, InvalidCode, Purpose
from users.people.mail import send_code
from users.tokens.issuing import access_token_for


class CodeRecentlySent(ApplicationError):
    """A code email was sent a moment ago; another may be asked for shortly."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "code_recently_sent"
    default_detail = "A code was sent a moment ago; ask again in a minute."

    def __init__(self, wait: float) -> None:
        super().__init__()
        self.retry_after = wait  # sent as Retry-After, in whole seconds rounded up


class AlreadyVerified(Conflict):
    default_code = "email_already_verified"
    default_detail = "This email address is already verified."


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
    user_for_update(user.pk)  # one resend at a time per user
    since = codes.seconds_since_issued(user=user, purpose=Purpose.VERIFY_EMAIL)
    if since is not None and since < settings.CODE_RESEND_SECONDS:
        raise CodeRecentlySent(settings.CODE_RESEND_SECONDS - since)
    send_code(user, Purpose.VERIFY_EMAIL)
