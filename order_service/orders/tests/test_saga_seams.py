"""The saga's named seams: reconciliation steps, who a completed refund names, staff giving one up."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from orders import services
from orders.errors import NoRefundInFlight
from orders.handlers import payment_refunded
from orders.models import Order
from orders.tests.conftest import ALICE, Catalog, Payments
from servicekit.errors import ApplicationError
from servicekit.http import ServiceUnavailable
from servicekit.testing import user_client

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/orders/api/orders/"
STAFF_ID = uuid.UUID("cccccccc-0000-0000-0000-000000000003")


@pytest.fixture
def alice() -> APIClient:
    return user_client(ALICE)


def _key() -> str:
    return uuid.uuid4().hex


def _placed(client: APIClient, catalog: Catalog, stock: int = 3) -> dict[str, Any]:
    body = {"items": [{"product_id": catalog.add(stock=stock), "quantity": 1}]}
    response = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert response.status_code == 201, response.content
    return dict(response.json())


def _paid(client: APIClient, catalog: Catalog) -> dict[str, Any]:
    order = _placed(client, catalog)
    paid = client.post(
        f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json", HTTP_IDEMPOTENCY_KEY=_key()
    )
    assert paid.json()["status"] == "paid", paid.content
    return dict(paid.json())


def _cancel(client: APIClient, order_id: str, reason: str) -> Any:
    return client.post(f"{ORDERS}{order_id}/cancel/", {"reason": reason}, format="json", HTTP_IDEMPOTENCY_KEY=_key())


def _refund_refused_for_now(alice: APIClient, catalog: Catalog, payments: Payments) -> dict[str, Any]:
    order = _paid(alice, catalog)
    payments.refuse_refunds = "refund_refused"
    refused = _cancel(alice, order["id"], "Ordered the wrong size.")
    assert refused.status_code == 409 and refused.json()["code"] == "refund_refused"
    assert Order.objects.get(id=order["id"]).refund_requested_at is not None
    return order


def test_paying_reads_the_order_to_lock_it_and_to_settle_it_only(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _placed(alice, catalog)
    with CaptureQueriesContext(connection) as queries:
        paid = alice.post(
            f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json", HTTP_IDEMPOTENCY_KEY="k"
        )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "orders_order" ' in q["sql"]
    ]
    assert len(reads) == 2, reads  # the attempt's lock, the answer's lock; the answer is the settled order


def test_the_payment_refunded_event_keeps_the_customers_reason_and_actor(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _paid(alice, catalog)
    payments.down = True
    assert _cancel(alice, order["id"], "Ordered the wrong size.").status_code == 503
    payment_refunded({"id": str(uuid.uuid4()), "type": "payment.refunded", "data": {"order_id": order["id"]}})
    stored = Order.objects.get(id=order["id"])
    last = stored.history.last()
    assert stored.status == "refunded" and last is not None
    assert (last.actor, last.actor_id, last.reason) == ("customer", ALICE, "Ordered the wrong size.")
    assert (stored.refund_requested_at, stored.refund_actor, stored.refund_reason) == (None, "", "")


def test_a_refund_made_in_payments_alone_names_payments(alice: APIClient, catalog: Catalog, payments: Payments) -> None:
    order = _paid(alice, catalog)
    payment_refunded({"id": str(uuid.uuid4()), "type": "payment.refunded", "data": {"order_id": order["id"]}})
    last = Order.objects.get(id=order["id"]).history.last()
    assert last is not None and (last.actor, last.reason) == ("payments", "refunded in payment_service")


def test_staff_give_up_a_refund_the_bank_keeps_refusing(
    alice: APIClient, catalog: Catalog, payments: Payments, settings: Any
) -> None:
    order = _refund_refused_for_now(alice, catalog, payments)
    staff = services.Actor("staff", STAFF_ID)
    with pytest.raises(ApplicationError, match="Say why"):
        services.order_refund_give_up(order_id=order["id"], actor=staff, reason="  ")
    given_up = services.order_refund_give_up(order_id=order["id"], actor=staff, reason="The account is closed.")
    assert given_up.status == "paid" and given_up.refund_requested_at is None
    last = given_up.history.last()
    assert last is not None and (last.from_status, last.to_status, last.actor, last.actor_id) == (
        "paid", "paid", "staff", STAFF_ID,
    )  # fmt: skip
    assert last.reason == "refund given up: The account is closed. (asked by customer: Ordered the wrong size.)"
    with pytest.raises(NoRefundInFlight):
        services.order_refund_give_up(order_id=order["id"], actor=staff, reason="again")
    # Nothing is in flight any more: the reconciler leaves it, and staff may ship it.
    Order.objects.filter(id=order["id"]).update(updated_at=timezone.now() - timedelta(hours=1))
    assert services.orders_reconcile()["refunded"] == 0
    assert services.order_fulfil(order_id=given_up.id, actor=staff).status == "fulfilled"


def test_the_admin_action_gives_up_a_refund_with_the_reason_given(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _refund_refused_for_now(alice, catalog, payments)
    pending = _placed(alice, catalog)
    admin = get_user_model().objects.create_superuser(username=str(STAFF_ID), email="staff@example.com")
    browser = Client()
    browser.force_login(admin)
    changelist = "/orders/admin/orders/order/"
    action = {"action": "give_up_refund", "_selected_action": [order["id"], pending["id"]]}
    silent = browser.post(changelist, {**action, "reason": ""}, follow=True)
    assert "Say why the refund is given up" in silent.content.decode()
    assert Order.objects.get(id=order["id"]).refund_requested_at is not None
    answered = browser.post(changelist, {**action, "reason": "The account is closed."}, follow=True)
    page = answered.content.decode().lower()  # the admin capitalises each message's first letter
    assert f"{order['id']}: refund given up; the order stays paid." in page
    assert f"{pending['id']}: no refund of this order is waiting for an answer" in page
    stored = Order.objects.get(id=order["id"])
    last = stored.history.last()
    assert stored.status == "paid" and stored.refund_requested_at is None and last is not None
    assert (last.actor, last.actor_id) == ("staff (admin)", STAFF_ID)
    assert last.reason.startswith("refund given up: The account is closed.")


def test_expiring_waits_while_the_catalog_holds_the_stock(alice: APIClient, catalog: Catalog) -> None:
    order = Order.objects.get(id=_placed(alice, catalog)["id"])
    assert services.order_expire(order) is False and Order.objects.get(id=order.id).status == "pending"
    catalog.reservations[str(order.id)]["status"] = "expired"
    assert services.order_expire(order) is True
    expired = Order.objects.get(id=order.id)
    assert expired.status == "cancelled" and expired.reservation_released
    assert services.order_expire(order) is False  # done already


def test_one_orders_failure_never_stops_the_others(alice: APIClient, catalog: Catalog, payments: Payments) -> None:
    first, second, third = (_placed(alice, catalog) for _ in range(3))
    seen: list[str] = []

    def step(order: Order) -> bool:
        seen.append(str(order.id))
        if str(order.id) == first["id"]:
            raise RuntimeError("broken")
        if str(order.id) == second["id"]:
            raise ServiceUnavailable()
        return True

    orders = Order.objects.filter(id__in=[first["id"], second["id"], third["id"]]).order_by("created_at")
    assert services.reconcile_each(orders, step) == (1, 1)  # the third done, the first an error, the second later
    assert sorted(seen) == sorted([first["id"], second["id"], third["id"]])


def test_resuming_an_attempt_settles_it_once(alice: APIClient, catalog: Catalog, payments: Payments) -> None:
    order = _placed(alice, catalog)
    payments.down = True
    alice.post(f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json",
               HTTP_IDEMPOTENCY_KEY=_key())  # fmt: skip
    payments.down = False
    in_flight = Order.objects.get(id=order["id"])
    assert services.payment_resume(in_flight) is True
    assert Order.objects.get(id=order["id"]).status == "paid" and payments.charges == 1
    assert services.payment_resume(in_flight) is True and payments.charges == 1  # the same attempt, answered again
