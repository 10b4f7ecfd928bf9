"""Passwords: changing one (the old one checked like a sign-in), and resetting a forgotten one by emailed code.

Either way every session of the account ends: all its refresh tokens are revoked.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from servicekit.events import publish_event
from servicekit.requestid import client_address
from users.locks import active_user_by_email_for_update
from users.models import User, normalize_email
from users.people import codes
from users.people.codes import Checked, InvalidCode, Purpose
from users.people.mail import send_code
from users.people.services import validated_password
from users.signin.lockout import guarded_check
from users.tokens.issuing import token_pair_for
from users.tokens.refresh import token_revoke


def user_change_password(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> dict[str, str]:
    """Set a new password after checking the old one (counted like a sign-in); revoke every refresh token."""
    correct = guarded_check(
        user.email, client_address(request), lambda: user.check_password(old_password), failed=lambda ok: not ok
    )
    if not correct:
        raise ValidationError({"old_password": ["The current password is not correct."]})
    validated_password(new_password, user=user, field="new_password")
    return _set_password(user=user, password=new_password)


@transaction.atomic
def _set_password(*, user: User, password: str) -> dict[str, str]:
    user.set_password(password)
    user.save(update_fields=["password", "email_verified", "updated_at"])
    token_revoke(user=user, everything=True)
    publish_event("user.password_changed", {"user_id": str(user.id), "email": user.email}, aggregate=f"user:{user.id}")
    return token_pair_for(user)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Email a reset code if an active user has this address; do the same work, and say nothing, if not."""
    user = active_user_by_email_for_update(email)
    if user is None:
        return
    since = codes.seconds_since_issued(user=user, purpose=Purpose.RESET_PASSWORD)
    if since is not None and since < settings.CODE_RESEND_SECONDS:
        return  # one email a minute at most; the answer stays the same
    send_code(user, Purpose.RESET_PASSWORD)


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
    validated_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        codes.code_use(user=user, purpose=Purpose.RESET_PASSWORD)
        user.email_verified = True  # the code reached the address: it is theirs
        _set_password(user=user, password=new_password)
