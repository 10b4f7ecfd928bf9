import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.handlers import HANDLERS
from notifications.models import Notification, Recipient
from servicekit.events import Consumer
from servicekit.models import InboxEvent
from servicekit.testing import user_client

ALICE = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
BOB = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
INBOX = "/notifications/api/notifications/"


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": "2026-11-25T10:00:00+00:00",
        "producer": "test",
        "data": data,
    }


def registered(user_id: uuid.UUID, email: str, name: str = "") -> dict[str, Any]:
    return envelope("user.registered", {"user_id": str(user_id), "email": email, "full_name": name})


def _side(user_id: uuid.UUID, number: str, balance: int) -> dict[str, Any]:
    return {
        "account_id": str(uuid.uuid4()),
        "account_number": number,
        "user_id": str(user_id),
        "balance_after": balance,
    }


def transfer(amount: int = 1250) -> dict[str, Any]:
    return envelope(
        "transfer.completed",
        {
            "transaction_id": str(uuid.uuid4()),
            "amount": amount,
            "currency": "EUR",
            "description": "rent",
            "source": _side(ALICE, "1111-2222-333", 8750),
            "target": _side(BOB, "4444-5555-666", 1250),
        },
    )


@pytest.fixture
def consumer() -> Consumer:
    return Consumer(HANDLERS, queue="unused")


def _handle(consumer: Consumer, event: dict[str, Any]) -> bool:
    """What the consumer does per message, and the commit after which emails leave."""
    with transaction.atomic():
        return consumer.handle(event)


@pytest.mark.django_db(transaction=True)
def test_a_registration_is_a_welcome_in_the_inbox_and_by_email(consumer: Consumer) -> None:
    assert _handle(consumer, registered(ALICE, "alice@example.com", "Alice"))
    recipient = Recipient.objects.get(user_id=ALICE)
    assert recipient.email == "alice@example.com"
    notification = Notification.objects.get(user_id=ALICE)
    assert notification.title == "Welcome to the shop" and notification.email_status == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"] and message.subject == "Welcome to the shop"
    assert "Hello Alice," in message.body and "<html" not in message.body
    html, mimetype = message.alternatives[0]  # type: ignore[attr-defined]
    assert mimetype == "text/html" and "<h1" in html and "Welcome to the shop" in html


@pytest.mark.django_db(transaction=True)
def test_a_transfer_notifies_the_sender_and_the_receiver(consumer: Consumer) -> None:
    _handle(consumer, registered(ALICE, "alice@example.com"))
    _handle(consumer, registered(BOB, "bob@example.com"))
    mail.outbox.clear()
    event = transfer()
    _handle(consumer, event)
    sent = Notification.objects.get(user_id=ALICE, event_id=event["id"])
    received = Notification.objects.get(user_id=BOB, event_id=event["id"])
    assert sent.title == "You sent 12.50 EUR" and "Balance: 87.50 EUR" in sent.body and '("rent")' in sent.body
    assert received.title == "You received 12.50 EUR" and received.data["direction"] == "received"
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert '("rent")' in mail.outbox[0].body  # plain text is not HTML-escaped


@pytest.mark.django_db(transaction=True)
def test_the_same_event_twice_makes_one_notification(consumer: Consumer) -> None:
    _handle(consumer, registered(ALICE, "alice@example.com"))
    event = envelope(
        "deposit.completed",
        {
            "transaction_id": str(uuid.uuid4()),
            "amount": 10000,
            "currency": "EUR",
            "account_id": str(uuid.uuid4()),
            "account_number": "1111-2222-333",
            "user_id": str(ALICE),
            "balance_after": 10000,
        },
    )
    assert _handle(consumer, event) is True
    assert _handle(consumer, event) is False
    assert Notification.objects.filter(event_id=event["id"]).count() == 1
    assert InboxEvent.objects.filter(event_id=event["id"]).count() == 1
    assert len(mail.outbox) == 2  # the welcome and one deposit


@pytest.mark.django_db(transaction=True)
def test_without_a_known_address_the_notification_is_kept_and_no_email_is_sent(consumer: Consumer) -> None:
    _handle(consumer, transfer())
    assert Notification.objects.filter(email_status="no_address").count() == 2
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_email_is_recorded_and_sent_again_later(consumer: Consumer, settings: Any) -> None:
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    _handle(consumer, registered(ALICE, "alice@example.com"))
    failed = Notification.objects.get(user_id=ALICE)
    assert failed.email_status == "failed" and failed.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("resend_emails")
    failed.refresh_from_db()
    assert failed.email_status == "sent" and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_an_email_left_unsent_by_a_dead_consumer_is_sent_by_resend_emails(consumer: Consumer) -> None:
    from django.core.management import call_command

    _handle(consumer, registered(ALICE, "alice@example.com"))
    welcome = Notification.objects.get(user_id=ALICE)
    assert welcome.email_status == "sent" and welcome.emailed_at is not None and len(mail.outbox) == 1
    # As if the consumer died between its commit and the send: the row stays claimed ("sending").
    Notification.objects.filter(id=welcome.id).update(
        email_status="sending", emailed_at=None, created_at=timezone.now() - timedelta(minutes=5)
    )
    call_command("resend_emails")
    welcome.refresh_from_db()
    assert welcome.email_status == "sent" and len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_an_email_still_being_sent_is_not_sent_again(consumer: Consumer, settings: Any) -> None:
    from django.core.management import call_command

    _handle(consumer, registered(ALICE, "alice@example.com"))
    welcome = Notification.objects.get(user_id=ALICE)
    # A send under way (claimed a moment ago, within a few EMAIL_TIMEOUTs): not taken over, even
    # when asked for everything older than nothing.
    recent = timezone.now() - timedelta(seconds=settings.EMAIL_TIMEOUT)
    Notification.objects.filter(id=welcome.id).update(email_status="sending", emailed_at=None, created_at=recent)
    call_command("resend_emails", "--older-than", "0")
    welcome.refresh_from_db()
    assert welcome.email_status == "sending" and len(mail.outbox) == 1


@pytest.fixture
def inbox(db: Any) -> list[Notification]:
    """Three notifications for Alice (oldest first), one for Bob."""
    made = []
    for title in ("first", "second", "third"):
        made.append(
            Notification.objects.create(
                user_id=ALICE, event_id=uuid.uuid4(), event_type="test", title=title, body="b", email_status="sent"
            )
        )
    Notification.objects.create(user_id=BOB, event_id=uuid.uuid4(), event_type="test", title="bob's", body="b")
    return made


def test_a_user_reads_their_own_inbox_newest_first(inbox: list[Notification]) -> None:
    alice = user_client(ALICE)
    body = alice.get(INBOX).json()
    assert body["count"] == 3 and [item["title"] for item in body["results"]] == ["third", "second", "first"]
    assert set(body["results"][0]) == {"id", "type", "title", "body", "data", "is_read", "read_at", "created_at"}
    assert user_client(uuid.uuid4(), "customer", "staff").get(INBOX).json()["count"] == 0


def test_marking_read_one_or_all(inbox: list[Notification]) -> None:
    alice = user_client(ALICE)
    read = alice.post(f"{INBOX}{inbox[0].id}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True and read.json()["read_at"]
    assert alice.post(f"{INBOX}{inbox[0].id}/read/").status_code == 200
    assert [item["title"] for item in alice.get(INBOX, {"is_read": "false"}).json()["results"]] == ["third", "second"]
    assert alice.get(f"{INBOX}unread-count/").json() == {"count": 2}
    assert alice.post(f"{INBOX}read-all/").json() == {"count": 2}
    assert alice.get(f"{INBOX}unread-count/").json() == {"count": 0}
    assert Notification.objects.get(user_id=BOB).is_read is False


def test_another_users_notification_is_not_found(inbox: list[Notification]) -> None:
    bob = user_client(BOB)
    assert bob.get(f"{INBOX}{inbox[0].id}/").status_code == 404
    assert bob.post(f"{INBOX}{inbox[0].id}/read/").status_code == 404
    assert Notification.objects.get(id=inbox[0].id).is_read is False


def test_the_inbox_needs_a_user(api_client: APIClient, db: Any) -> None:
    assert api_client.get(INBOX).status_code == 401
    assert api_client.post(f"{INBOX}read-all/").status_code == 401


def test_the_inbox_selectors_take_a_user_id_not_a_request(inbox: list[Notification]) -> None:
    from notifications import selectors
    from servicekit.errors import NotFound

    assert [n.title for n in selectors.inbox(user_id=ALICE)] == ["third", "second", "first"]
    assert selectors.notification_detail(inbox[0].id, user_id=ALICE) == inbox[0]
    with pytest.raises(NotFound):
        selectors.notification_detail(inbox[0].id, user_id=BOB)
