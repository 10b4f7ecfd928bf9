"""The emails auth sends itself: one-time codes, which must not sit in an outbox or an inbox.

They go through the same transport as every other email of the shop (EMAIL_URL), after the
transaction that made the code commits, and in the background: a request that sends one takes
as long as one that does not (so a password reset does not tell which addresses exist), and a
slow mail server does not hold a worker. A code whose email is lost is simply asked for again.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from users.models import User
from users.people import codes

logger = logging.getLogger(__name__)

_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="auth-mail")

SUBJECTS = {
    "verify_email": "Your verification code",
    "reset_password": "Your password reset code",
}
BODIES = {
    "verify_email": "Your code to verify this address is {code}.\n\nIt is valid for {minutes} minutes.\n",
    "reset_password": (
        "Your code to choose a new password is {code}.\n\nIt is valid for {minutes} minutes. "
        "If you did not ask for it, ignore this email: your password stays as it is.\n"
    ),
}


def _send(purpose: str, address: str, code: str, minutes: int) -> None:
    try:
        send_mail(
            SUBJECTS[purpose],
            BODIES[purpose].format(code=code, minutes=minutes),
            settings.DEFAULT_FROM_EMAIL,
            [address],
            fail_silently=False,
        )
    except Exception:
        logger.warning("code email not sent", extra={"purpose": purpose}, exc_info=True)


def send_code_after_commit(*, purpose: str, address: str, code: str, minutes: int) -> None:
    """Email `code` to `address` once the current transaction commits (nothing if it rolls back)."""

    def send() -> None:
        if settings.AUTH_EMAIL_IN_BACKGROUND:
            _sender.submit(_send, purpose, address, code, minutes)
        else:
            _send(purpose, address, code, minutes)

    transaction.on_commit(send)


def send_code(user: User, purpose: str) -> None:
    """Make a new code for `user` and email it once the caller's transaction commits."""
    code = codes.code_issue(user=user, purpose=purpose)
    minutes = int(codes.CODE_LIFETIME.total_seconds() // 60)
    send_code_after_commit(purpose=purpose, address=user.email, code=code, minutes=minutes)
