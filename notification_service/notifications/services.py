"""Writes on the inbox: notify a user (and email them after commit, a batch over one connection), mark read."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import Notification, Recipient

logger = logging.getLogger(__name__)


_batch = threading.local()


@contextmanager
def notifying() -> Iterator[list[Notification]]:
    """Collect the notifications `notify` makes inside, and write them together on the way out.

    For the events of one consumer batch: their notifications cost one read of the recipients,
    one INSERT, and after the commit one connection to the mail server and one UPDATE of the sent.
    """
    if getattr(_batch, "pending", None) is not None:  # already collecting: the outer block writes
        yield _batch.pending
        return
    _batch.pending = []
    try:
        yield _batch.pending
        _write(_batch.pending)
    finally:
        _batch.pending = None


def notify(event: dict[str, Any], *, user_id: uuid.UUID, title: str, body: str, data: dict[str, Any]) -> Notification:
    """Put a notification in the user's inbox; its email goes out once this transaction commits.

    Runs once per event and user: the consumer's inbox skips an event seen before, and a unique
    constraint (event, user) backs that up. A notification with an address is written already
    claimed for sending (`sending`), so the email goes out after commit without reading anything
    back; if this process dies before it is sent, `resend_emails` finds it stuck and sends it.
    Inside `notifying()` the row is written when that block ends.
    """
    notification = Notification(
        event_id=event["id"], user_id=user_id, event_type=event["type"], title=title[:200], body=body, data=data
    )
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        pending.append(notification)
    else:
        _write([notification])
    return notification


def _write(notifications: list[Notification]) -> None:
    """Address and insert notifications (one SELECT, one INSERT); their emails leave after the commit."""
    if not notifications:
        return
    recipients = {
        recipient.user_id: recipient
        for recipient in Recipient.objects.filter(user_id__in={n.user_id for n in notifications}).only(
            "email", "full_name"
        )
    }
    for notification in notifications:
        recipient = recipients.get(notification.user_id)
        notification.email = recipient.email if recipient else ""
        notification.email_status = (
            Notification.EmailStatus.SENDING if recipient else Notification.EmailStatus.NO_ADDRESS
        )
    Notification.objects.bulk_create(notifications)
    emails = [(n, recipients[n.user_id]) for n in notifications if n.user_id in recipients]
    if emails:
        # robust: a failed send never stops the rest after the commit (resend_emails retries it).
        transaction.on_commit(lambda: _send_all(emails), robust=True)


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
    _send_all([(notification, Recipient.objects.filter(user_id=notification.user_id).first())])
    return notification


def _message(notification: Notification, recipient: Recipient | None) -> EmailMultiAlternatives:
    """The email (plain text and HTML) of a notification."""
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
    return message


def _send_all(emails: Sequence[tuple[Notification, Recipient | None]]) -> None:
    """Send the emails of notifications this process has claimed, over one connection; record each outcome.

    Each message is sent (and can fail) on its own, so one refused address does not fail the rest;
    the sent ones are recorded in one UPDATE.
    """
    connection = None
    try:
        connection = get_connection()
        connection.open()
    except Exception as error:  # the mail server is away: every email of the batch failed
        for notification, _recipient in emails:
            _failed(notification, error)
    else:
        for notification, recipient in emails:
            try:
                connection.send_messages([_message(notification, recipient)])
            except Exception as error:  # any transport failure is recorded; `resend_emails` retries
                _failed(notification, error)
            else:
                notification.email_status = Notification.EmailStatus.SENT
                notification.email_error = ""
                notification.emailed_at = timezone.now()
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a broken connection may fail; the outcomes are known
                logger.debug("closing the mail connection failed", exc_info=True)
    sent = [n for n, _recipient in emails if n.email_status == Notification.EmailStatus.SENT]
    # Only rows still claimed are updated: one that resend_emails took over meanwhile is its now.
    if sent:
        Notification.objects.filter(id__in=[n.id for n in sent], email_status=Notification.EmailStatus.SENDING).update(
            email_status=Notification.EmailStatus.SENT, email_error="", emailed_at=sent[0].emailed_at
        )
    for notification, _recipient in emails:
        if notification.email_status == Notification.EmailStatus.FAILED:
            Notification.objects.filter(id=notification.id, email_status=Notification.EmailStatus.SENDING).update(
                email_status=notification.email_status, email_error=notification.email_error
            )


def _failed(notification: Notification, error: Exception) -> None:
    logger.warning("email failed", extra={"notification_id": str(notification.id), "error": type(error).__name__})
    notification.email_status = Notification.EmailStatus.FAILED
    notification.email_error = f"{type(error).__name__}: {error}"[:500]


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
