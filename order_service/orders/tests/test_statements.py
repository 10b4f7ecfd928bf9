"""How many SQL statements placing and paying an order cost: upper bounds, so that a re-read creeping
back in fails here. Transaction markers and the Idempotency-Key's own statements (servicekit's)
are not counted."""

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from orders import services
from orders.models import Order
from orders.serializers import OrderOutputSerializer
from orders.tests.conftest import ALICE, Catalog, Payments
from servicekit.testing import user_client

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/orders/api/orders/"


def _own(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the transaction markers Django records and the key's own."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"] not in ("BEGIN", "COMMIT") and "servicekit_idempotencykey" not in query["sql"]
    ]


def _place(client: APIClient, product_id: str) -> Any:
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    return client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def test_placing_an_order_reads_nothing_back(catalog: Catalog) -> None:
    alice = user_client(ALICE)
    with CaptureQueriesContext(connection) as queries:
        placed = _place(alice, catalog.add())
    assert placed.status_code == 201, placed.content
    # The customer's orders counted once before the catalog and once under the placement lock; the
    # order, its lines, its history entry and its event written; the answer built from them.
    assert len(_own(queries)) <= 7, _own(queries)
    assert placed.json() == OrderOutputSerializer(Order.objects.get(id=placed.json()["id"])).data


def test_paying_an_order_reads_it_to_lock_it_and_to_settle_it_only(catalog: Catalog, payments: Payments) -> None:
    alice = user_client(ALICE)
    order = _place(alice, catalog.add()).json()
    with CaptureQueriesContext(connection) as queries:
        paid = alice.post(
            f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )  # fmt: skip
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.content
    # The attempt: lock, record. The settlement: lock, lines, history entry, order, event, history.
    assert len(_own(queries)) <= 8, _own(queries)
    stored = Order.objects.get(id=order["id"])
    assert stored.reservation_committed  # committed with the paid status, in the same transaction
    assert paid.json() == OrderOutputSerializer(stored).data


def test_order_answer_is_the_declared_shape(catalog: Catalog, payments: Payments) -> None:
    """The hand-built answer equals what the serializer's declared fields make of the same order."""
    alice = user_client(ALICE)
    order = _place(alice, catalog.add()).json()
    alice.post(f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json",
               HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
    stored = Order.objects.prefetch_related("lines", "history").get(id=order["id"])
    serializer = OrderOutputSerializer(stored)
    declared = super(OrderOutputSerializer, serializer).to_representation(stored)
    assert serializer.to_representation(stored) == dict(declared)
    assert declared["payment"]["paid_payment_id"] is not None and len(declared["history"]) == 2


def test_a_payment_landing_after_the_reservation_lapsed_is_refunded_in_the_answer(
    catalog: Catalog, payments: Payments
) -> None:
    alice = user_client(ALICE)
    order = _place(alice, catalog.add()).json()
    catalog.reservations[order["id"]]["status"] = "expired"  # the catalog gave the stock back meanwhile
    paid = alice.post(f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json",
                      HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
    assert paid.status_code == 200 and paid.json()["status"] == "refunded", paid.content
    assert [change["to_status"] for change in paid.json()["history"]] == ["pending", "paid", "refunded"]
    assert payments.refunds == 1 and not Order.objects.get(id=order["id"]).reservation_committed


def test_a_commit_the_catalog_did_not_answer_is_left_to_the_reconciler(catalog: Catalog, payments: Payments) -> None:
    alice = user_client(ALICE)
    order = _place(alice, catalog.add()).json()
    catalog.down = True
    paid = alice.post(f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json",
                      HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.content
    assert not Order.objects.get(id=order["id"]).reservation_committed
    catalog.down = False
    assert services.orders_reconcile()["committed"] == 1
    assert Order.objects.get(id=order["id"]).reservation_committed
    assert catalog.reservations[order["id"]]["status"] == "committed"
