"""A consumer batch of events: notifications written together, their emails over one connection."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.handlers import HANDLERS
from notifications.models import Notification
from notifications.tests.test_notifications import ALICE, BOB, registered, transfer
from servicekit.events import Consumer

TABLE = re.compile(r'(?:INTO|FROM|UPDATE) "?(\w+)')


class CountingBackend(EmailBackend):
    """locmem, counting the connections opened."""

    opened = 0

    def open(self) -> bool:
        type(self).opened += 1
        return True


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_transfers_is_one_insert_and_its_emails_share_one_connection(settings: Any) -> None:
    settings.EMAIL_BACKEND = "notifications.tests.test_batches.CountingBackend"
    consumer = Consumer(HANDLERS, queue="unused")
    consumer.handle_batch([registered(ALICE, "alice@example.com"), registered(BOB, "bob@example.com")])
    CountingBackend.opened = 0
    mail.outbox.clear()
    events = [transfer(amount) for amount in (100, 200, 300)]
    with CaptureQueriesContext(connection) as queries:
        assert consumer.handle_batch(events) == 3
    assert len(mail.outbox) == 6 and CountingBackend.opened == 1
    assert Notification.objects.filter(event_type="transfer.completed", email_status="sent").count() == 6
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("SELECT", "INSERT", "UPDATE")]
    tables = [f"{sql.split()[0]} {TABLE.search(sql)[1]}" for sql in statements]  # type: ignore[index]
    assert tables == [
        "INSERT servicekit_inboxevent",
        "SELECT notifications_recipient",
        "INSERT notifications_notification",
        "UPDATE notifications_notification",  # after the commit: the six sent
    ], tables


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_leaves_no_notification_and_sends_nothing() -> None:
    consumer = Consumer(HANDLERS, queue="unused")
    consumer.handle_batch([registered(ALICE, "alice@example.com")])
    mail.outbox.clear()
    broken = transfer()
    del broken["data"]["source"]
    with pytest.raises(KeyError):
        consumer.handle_batch([transfer(), broken])
    assert not Notification.objects.filter(event_type="transfer.completed").exists() and mail.outbox == []
