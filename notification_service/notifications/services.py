"""Writes on the inbox: notify a user (and email them after commit), mark notifications read."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import Notification, Recipient

logger = logging.getLogger(__name__)


def notify(event: dict[str, Any], *, user_id: uuid.UUID, title: str, body: str, data: dict[str, Any]) -> Notification:
    """Put a notification in the user's inbox; its email goes out once this transaction commits.

    Runs once per event and user: the consumer's inbox skips an event seen before, and a unique
    constraint (event, user) backs that up. A notification with an address is written already
    claimed for sending (`sending`), so the email goes out after commit without reading anything
    back; if this process dies before it is sent, `resend_emails` finds it stuck and sends it.
    """
    recipient = Recipient.objects.filter(user_id=user_id).only("email", "full_name").first()
    notification = Notification.objects.create(
        event_id=event["id"],
        user_id=user_id,
        event_type=event["type"],
        title=title[:200],
        body=body,
        data=data,
        email=recipient.email if recipient else "",
        email_status=Notification.EmailStatus.SENDING if recipient else Notification.EmailStatus.NO_ADDRESS,
    )
    if recipient:
        # robust: a failed email never stops the other emails of this event (resend_emails retries it).
        transaction.on_commit(lambda: _send(notification, recipient), robust=True)
    return notification


def deliver(notification_id: uuid.UUID) -> Notification:
    """Email a pending notification and record how it went.

    The row is claimed first (pending -> sending in one UPDATE), so two senders never send it twice.
    """
    claimed = Notification.objects.filter(id=notification_id, email_status=Notification.EmailStatus.PENDING).update(
        email_status=Notification.EmailStatus.SENDING
    )
    notification = Notification.objects.get(id=notification_id)
    if not claimed:
        return notification
    return _send(notification, Recipient.objects.filter(user_id=notification.user_id).first())


def _send(notification: Notification, recipient: Recipient | None) -> Notification:
    """Send the email (plain text and HTML) of a notification this process has claimed; record the outcome."""
    context = {
        "notification": notification,
        "name": recipient.full_name if recipient and recipient.full_name else "there",
        "shop_url": settings.SHOP_URL,
    }
    template = f"notifications/email/{notification.event_type}"
    message = EmailMultiAlternatives(
        subject=notification.title,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    try:
        message.send()
    except Exception as error:  # any transport failure is recorded; `resend_emails` retries
        logger.warning("email failed", extra={"notification_id": str(notification.id), "error": type(error).__name__})
        notification.email_status = Notification.EmailStatus.FAILED
        notification.email_error = f"{type(error).__name__}: {error}"[:500]
    else:
        notification.email_status = Notification.EmailStatus.SENT
        notification.email_error = ""
        notification.emailed_at = timezone.now()
    # Only a row still claimed is updated: one that resend_emails took over meanwhile is its now.
    Notification.objects.filter(id=notification.id, email_status=Notification.EmailStatus.SENDING).update(
        email_status=notification.email_status, email_error=notification.email_error, emailed_at=notification.emailed_at
    )
    return notification


# What a send may take when EMAIL_TIMEOUT is unset (servicekit.conf sets it, 10 s by default).
DEFAULT_EMAIL_TIMEOUT = 10
# How many EMAIL_TIMEOUTs a `sending` row must be old before resend_emails takes it over.
SENDING_TIMEOUTS = 6


def resend_emails(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Try again every email that failed, or is still pending (or sending) after `older_than`, when the
    after-commit send died with its process; return how many were sent now.

    A row is `sending` from the moment it is written until its send ends, and a send ends within
    EMAIL_TIMEOUT per recipient of its event; so a `sending` row is taken over only once it is older
    than several of those, whatever `older_than` says: a send still under way is never repeated.
    """
    now = timezone.now()
    cutoff = now - older_than
    send_timeout = settings.EMAIL_TIMEOUT or DEFAULT_EMAIL_TIMEOUT
    surely_dead = now - max(older_than, timedelta(seconds=SENDING_TIMEOUTS * send_timeout))
    waiting = Notification.objects.filter(
        Q(email_status=Notification.EmailStatus.FAILED)
        | Q(email_status=Notification.EmailStatus.PENDING, created_at__lt=cutoff)
        | Q(email_status=Notification.EmailStatus.SENDING, created_at__lt=surely_dead)
    ).values_list("id", "email_status")
    sent = 0
    for notification_id, status in list(waiting):
        # Back to pending only if nobody changed it meanwhile; deliver() then claims it.
        Notification.objects.filter(id=notification_id, email_status=status).update(
            email_status=Notification.EmailStatus.PENDING
        )
        if deliver(notification_id).email_status == Notification.EmailStatus.SENT:
            sent += 1
    return sent


def mark_read(*, notification: Notification) -> Notification:
    if not notification.is_read:
        notification.is_read = True
        notification.read_at = timezone.now()
        notification.save(update_fields=["is_read", "read_at"])
    return notification


def mark_all_read(*, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    return Notification.objects.filter(user_id=user_id, is_read=False).update(is_read=True, read_at=timezone.now())
