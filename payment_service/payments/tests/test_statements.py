"""How many SQL statements a charge costs: an upper bound, so that a re-read creeping back in fails here."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.models import Payment
from payments.tests.conftest import Bank
from servicekit.stubs import JsonServer
from servicekit.testing import service_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_charge_records_claims_and_settles_in_six_statements(bank: tuple[Bank, JsonServer]) -> None:
    body = {"payment_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()),
            "account_id": str(uuid.uuid4()), "amount": 100, "currency": "EUR"}  # fmt: skip
    orders = service_client("orders", "payments:charge")
    with CaptureQueriesContext(connection) as queries:
        charged = orders.post("/payments/internal/payments/", body, format="json")
    assert charged.status_code == 201 and charged.json()["status"] == "succeeded", charged.content
    sent = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    # Record (one statement); claim: lock the order's attempts, mark it; settle: lock, update, event.
    assert len(sent) <= 6, sent
    replayed = orders.post("/payments/internal/payments/", body, format="json")
    assert replayed.status_code == 200 and replayed.json()["id"] == body["payment_id"]
    assert Payment.objects.count() == 1
