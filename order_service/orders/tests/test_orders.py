import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from orders import services
from orders.errors import RefundInProgress
from orders.handlers import payment_refunded
from orders.models import Order
from orders.tests.conftest import ALICE, BOB, Catalog, Payments
from servicekit.models import IdempotencyKey, OutboxEvent
from servicekit.testing import poll_until, user_client

# Real commits: stock is committed and released only after the order change commits (on_commit).
pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/orders/api/orders/"


@pytest.fixture
def alice() -> APIClient:
    return user_client(ALICE)


@pytest.fixture
def staff() -> APIClient:
    return user_client(uuid.uuid4(), "customer", "staff")


def _place(client: APIClient, *items: tuple[str, int], **extra: Any) -> Any:
    body = {"items": [{"product_id": product_id, "quantity": quantity} for product_id, quantity in items], **extra}
    return client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def _pay(client: APIClient, order_id: str, account_id: str | None = None, key: str | None = None) -> Any:
    return client.post(
        f"{ORDERS}{order_id}/pay/",
        {"account_id": account_id or str(uuid.uuid4())},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex,
    )


def _cancel(client: APIClient, order_id: str) -> Any:
    return client.post(f"{ORDERS}{order_id}/cancel/", {}, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def test_an_order_takes_names_and_prices_from_the_catalog(alice: APIClient, catalog: Catalog) -> None:
    beans, mug = catalog.add(price=1250), catalog.add(price=800)
    body = {
        "items": [{"product_id": beans, "quantity": 2, "unit_price": 1}, {"product_id": mug, "quantity": 1}],
        "shipping_address": "1 Main St",
        "total": 3,
    }
    response = alice.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="place-1")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "pending" and order["total"] == 3300 and order["currency"] == "EUR"
    assert [(line["unit_price"], line["quantity"], line["line_total"]) for line in order["lines"]] == [
        (1250, 2, 2500),
        (800, 1, 800),
    ]
    assert order["shipping_address"] == "1 Main St"
    assert order["history"][0]["to_status"] == "pending" and order["history"][0]["actor"] == "customer"
    assert catalog.reservations[order["id"]]["status"] == "held"
    assert OutboxEvent.objects.get().event_type == "order.created"
    replay = alice.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="place-1")
    assert replay.json()["id"] == order["id"] and Order.objects.count() == 1


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product_id": "not-a-uuid", "quantity": 1}],
        [{"product_id": str(uuid.uuid4()), "quantity": 0}],
        [{"product_id": str(uuid.uuid4()), "quantity": -2}],
        [{"product_id": str(uuid.uuid4()), "quantity": 1.5}],
        [{"product_id": str(uuid.uuid4()), "quantity": "2"}],
        [{"product_id": "6f1c54a4-61a4-4a26-9d3c-3a5c1ed55d2b", "quantity": 1}] * 2,
    ],
)
def test_bad_items_are_a_400_and_nothing_is_reserved(
    alice: APIClient, catalog: Catalog, items: list[dict[str, Any]]
) -> None:
    response = alice.post(ORDERS, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 400 and "items" in response.json()["fields"]
    assert catalog.reservations == {} and not Order.objects.exists()


def test_the_catalogs_refusals_reach_the_customer(alice: APIClient, catalog: Catalog) -> None:
    scarce = catalog.add(stock=1)
    unknown = _place(alice, (str(uuid.uuid4()), 1))
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_products"
    short = _place(alice, (scarce, 2))
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    assert short.json()["fields"] == {"available": {scarce: 1}}
    catalog.down = True
    down = _place(alice, (scarce, 1))
    assert down.status_code == 503 and down.json()["code"] == "service_unavailable"
    assert not Order.objects.exists()


def test_paying_marks_the_order_paid_and_commits_its_stock(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 2)).json()
    paid = _pay(alice, order["id"])
    assert paid.status_code == 200, paid.content
    body = paid.json()
    assert body["status"] == "paid" and body["payment"]["paid_payment_id"] == body["payment"]["payment_id"]
    assert body["payment"]["in_progress"] is False
    assert catalog.reservations[order["id"]]["status"] == "committed"
    assert Order.objects.get(id=order["id"]).reservation_committed is True
    charged = payments.payments[body["payment"]["paid_payment_id"]]
    assert charged["amount"] == 2500 and charged["order_id"] == order["id"]
    assert [h["to_status"] for h in body["history"]] == ["pending", "paid"]
    assert _pay(alice, order["id"]).status_code == 409  # paid already
    assert OutboxEvent.objects.filter(event_type="order.paid").count() == 1


def test_a_failed_payment_leaves_the_order_payable_with_the_reason(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    payments.outcome = "failed"
    account = str(uuid.uuid4())
    declined = _pay(alice, order["id"], account, key="declined-once")
    assert declined.status_code == 402
    body = declined.json()
    assert body["code"] == "insufficient_funds" and "too low" in body["message"] and body["fields"] == {}
    assert body["request_id"] and body["order"]["id"] == order["id"] and body["order"]["status"] == "pending"
    assert body["order"]["payment"]["error_code"] == "insufficient_funds"
    assert "too low" in body["order"]["payment"]["error"] and body["order"]["payment"]["in_progress"] is False
    assert catalog.reservations[order["id"]]["status"] == "held"
    payments.outcome = "succeeded"
    # The same request again is the same 402 (the stored answer), not a new attempt.
    replayed = _pay(alice, order["id"], account, key="declined-once")
    assert replayed.status_code == 402 and replayed["Idempotent-Replayed"] == "true"
    assert {**replayed.json(), "request_id": ""} == {**body, "request_id": ""}
    assert payments.charges == 1
    again = _pay(alice, order["id"]).json()
    assert again["status"] == "paid" and again["payment"]["error"] == ""
    assert payments.charges == 2


def test_payments_down_is_a_503_and_the_same_request_again_finishes_the_same_attempt(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    account = str(uuid.uuid4())
    payments.down = True
    down = _pay(alice, order["id"], account, key="pay-1")
    assert down.status_code == 503
    in_flight = Order.objects.get(id=order["id"])
    assert in_flight.payment_started_at is not None
    assert _cancel(alice, order["id"]).json()["code"] == "payment_in_progress"
    assert _pay(alice, order["id"], str(uuid.uuid4())).json()["code"] == "payment_in_progress"
    payments.down = False
    finished = _pay(alice, order["id"], account, key="pay-1")  # the client's retry
    assert finished.json()["status"] == "paid"
    assert list(payments.payments) == [str(in_flight.payment_id)]  # the very same attempt


def test_a_timed_out_payment_is_a_504_and_never_charges_twice(
    alice: APIClient, catalog: Catalog, payments: Payments, settings: Any
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    account = str(uuid.uuid4())
    settings.SERVICE_READ_TIMEOUT = 0.3
    payments.delay = 0.6  # payments charges, but answers too late
    assert _pay(alice, order["id"], account).status_code == 504
    payments.delay = 0
    assert _pay(alice, order["id"], account).json()["status"] == "paid"
    assert payments.charges == 1


def test_the_reconciler_resumes_an_attempt_whose_answer_was_lost(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    lost, unknown = _place(alice, (catalog.add(), 1)).json(), _place(alice, (catalog.add(), 1)).json()
    payments.down = True
    _pay(alice, lost["id"])
    _pay(alice, unknown["id"])
    payments.down = False
    # payments charged the first attempt (it crashed before answering); it never heard of the second.
    first = Order.objects.get(id=lost["id"])
    payments.payments[str(first.payment_id)] = {"id": str(first.payment_id), "status": "succeeded"}
    Order.objects.update(payment_started_at=timezone.now() - timedelta(minutes=5))
    call_command("reconcile_orders")
    first.refresh_from_db()
    second = Order.objects.get(id=unknown["id"])
    assert first.status == "paid" and first.reservation_committed
    # The second attempt is sent again, with the same payment id: made now, once.
    assert second.status == "paid" and str(second.paid_payment_id) == str(second.payment_id)
    assert payments.charges == 1
    call_command("reconcile_orders")
    assert payments.charges == 1


def test_a_retried_order_request_finds_its_reservation_and_its_order(alice: APIClient, catalog: Catalog) -> None:
    product = catalog.add(stock=1)
    body = {"items": [{"product_id": product, "quantity": 1}]}
    first = alice.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    # As if the answer had been lost after the catalog reserved: no order stored, the key freed.
    Order.objects.all().delete()
    IdempotencyKey.objects.all().delete()
    again = alice.post(ORDERS, {**body}, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert first.status_code == 201 and again.status_code == 201, again.content
    assert again.json()["id"] == first.json()["id"]
    assert len(catalog.reservations) == 1 and catalog.products[product]["stock"] == 0


def test_the_reconciler_cancels_orders_whose_reservation_expired(alice: APIClient, catalog: Catalog) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    catalog.reservations[order["id"]]["status"] = "expired"
    Order.objects.update(reservation_expires_at=timezone.now() - timedelta(minutes=1))
    call_command("reconcile_orders")
    cancelled = Order.objects.get(id=order["id"])
    assert cancelled.status == "cancelled"
    assert cancelled.history.last().reason == "the stock reservation expired before payment"  # type: ignore[union-attr]
    assert _pay(alice, order["id"]).status_code == 409


def test_paying_after_the_reservation_expired_cancels_instead(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    Order.objects.update(reservation_expires_at=timezone.now() - timedelta(seconds=1))
    response = _pay(alice, order["id"])
    assert response.status_code == 409 and response.json()["code"] == "order_expired"
    assert Order.objects.get(id=order["id"]).status == "cancelled" and payments.charges == 0


def test_a_lapsed_reservation_at_commit_refunds_the_payment(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    catalog.reservations[order["id"]]["status"] = "expired"  # the catalog gave the stock back meanwhile
    body = _pay(alice, order["id"]).json()
    refunded = Order.objects.get(id=order["id"])
    assert refunded.status == "refunded", body
    assert payments.payments[str(refunded.paid_payment_id)]["status"] == "refunded"


def test_cancelling_a_pending_order_releases_its_stock(alice: APIClient, catalog: Catalog) -> None:
    product = catalog.add(stock=5)
    order = _place(alice, (product, 2)).json()
    assert catalog.products[product]["stock"] == 3
    cancelled = _cancel(alice, order["id"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert catalog.products[product]["stock"] == 5
    again = _cancel(alice, order["id"])  # the first answer was lost: the same outcome, nothing released twice
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert catalog.products[product]["stock"] == 5


def test_cancelling_a_paid_order_refunds_it_and_puts_the_stock_back(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    product = catalog.add(stock=5)
    order = _place(alice, (product, 2)).json()
    paid = _pay(alice, order["id"]).json()
    refunded = _cancel(alice, order["id"]).json()
    assert refunded["status"] == "refunded"
    assert payments.payments[paid["payment"]["paid_payment_id"]]["status"] == "refunded"
    assert catalog.products[product]["stock"] == 5
    assert [h["to_status"] for h in refunded["history"]] == ["pending", "paid", "refunded"]


def test_a_cancel_sent_again_after_payments_refunded_gets_the_refunded_order(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    """This service died after payments refunded (the first cancel's answer was lost); payments'
    event completed the order meanwhile. The client's retry gets the refunded order, not a 409."""
    product = catalog.add(stock=3)
    order = _place(alice, (product, 1)).json()
    payment_id = _pay(alice, order["id"]).json()["payment"]["paid_payment_id"]
    payments.payments[payment_id]["status"] = "refunded"  # the refund the lost request asked for
    payment_refunded({"id": str(uuid.uuid4()), "type": "payment.refunded", "data": {"order_id": order["id"]}})
    retried = _cancel(alice, order["id"])
    assert retried.status_code == 200 and retried.json()["status"] == "refunded"
    assert catalog.products[product]["stock"] == 3
    assert [h["to_status"] for h in retried.json()["history"]] == ["pending", "paid", "refunded"]


def test_moves_the_state_machine_forbids_are_409s(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    fulfil = f"{ORDERS}{order['id']}/fulfil/"
    assert staff.post(fulfil).json()["code"] == "invalid_transition"
    assert alice.post(fulfil).status_code == 403
    _pay(alice, order["id"])
    assert staff.post(fulfil).json()["status"] == "fulfilled"
    refused = _cancel(alice, order["id"])
    assert refused.status_code == 409 and refused.json()["message"] == "An order that is fulfilled cannot be cancelled."


def test_a_refund_made_in_payments_completes_the_order(alice: APIClient, catalog: Catalog, payments: Payments) -> None:
    product = catalog.add(stock=2)
    order = _place(alice, (product, 2)).json()
    _pay(alice, order["id"])
    event = {"id": str(uuid.uuid4()), "type": "payment.refunded", "data": {"order_id": order["id"]}}
    payment_refunded(event)
    payment_refunded(event)
    assert Order.objects.get(id=order["id"]).status == "refunded"
    assert catalog.products[product]["stock"] == 2


def test_orders_are_their_owners_and_staff_see_all(alice: APIClient, staff: APIClient, catalog: Catalog) -> None:
    mine = _place(alice, (catalog.add(), 1)).json()
    bobs = _place(user_client(BOB), (catalog.add(), 1)).json()
    assert [o["id"] for o in alice.get(ORDERS).json()["results"]] == [mine["id"]]
    for response in (alice.get(f"{ORDERS}{bobs['id']}/"), _pay(alice, bobs["id"]), _cancel(alice, bobs["id"])):
        assert response.status_code == 404
    assert staff.get(ORDERS).json()["count"] == 2
    assert [o["id"] for o in staff.get(ORDERS, {"user_id": str(BOB)}).json()["results"]] == [bobs["id"]]
    assert staff.get(ORDERS, {"status": "nonsense"}).status_code == 400
    assert APIClient().get(ORDERS).status_code == 401


def test_pay_and_cancel_need_an_idempotency_key(alice: APIClient, catalog: Catalog) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    response = alice.post(f"{ORDERS}{order['id']}/pay/", {"account_id": str(uuid.uuid4())}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    assert Order.objects.get(id=order["id"]).status == Order.Status.PENDING


def test_paying_again_after_a_lost_answer_gets_the_paid_order(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    order = _place(alice, (catalog.add(), 1)).json()
    account = str(uuid.uuid4())
    assert _pay(alice, order["id"], account).json()["status"] == "paid"
    again = _pay(alice, order["id"], account)  # another key: the first answer never arrived
    assert again.status_code == 200 and again.json()["status"] == "paid" and payments.charges == 1
    assert _pay(alice, order["id"], str(uuid.uuid4())).status_code == 409  # another account: refused


def test_an_order_that_costs_nothing_is_refused_and_its_stock_released(alice: APIClient, catalog: Catalog) -> None:
    free = catalog.add(price=0, stock=2)
    response = _place(alice, (free, 1))
    assert response.status_code == 400 and response.json()["code"] == "free_order"
    assert catalog.products[free]["stock"] == 2 and not Order.objects.exists()


def test_a_refund_after_fulfilment_does_not_restock(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments
) -> None:
    product = catalog.add(stock=1)
    order = _place(alice, (product, 1)).json()
    _pay(alice, order["id"])
    assert staff.post(f"{ORDERS}{order['id']}/fulfil/").json()["status"] == "fulfilled"
    payment_refunded({"id": str(uuid.uuid4()), "type": "payment.refunded", "data": {"order_id": order["id"]}})
    assert Order.objects.get(id=order["id"]).status == "refunded"
    assert catalog.products[product]["stock"] == 0


def _paid(client: APIClient, catalog: Catalog, product: str, quantity: int = 1) -> dict[str, Any]:
    order = _place(client, (product, quantity)).json()
    paid = _pay(client, order["id"]).json()
    assert paid["status"] == "paid" and catalog.reservations[order["id"]]["status"] == "committed"
    return paid


def _cancel_with(client: APIClient, order_id: str, key: str, reason: str = "") -> Any:
    return client.post(f"{ORDERS}{order_id}/cancel/", {"reason": reason}, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("outage", ["unavailable", "timeout"])
def test_a_refund_without_an_answer_keeps_the_order_paid_and_unfulfillable(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments, settings: Any, outage: str
) -> None:
    product = catalog.add(stock=3)
    order = _paid(alice, catalog, product)
    if outage == "unavailable":
        payments.down = True
    else:
        settings.SERVICE_READ_TIMEOUT = 0.3
        payments.delay = 0.6  # payments refunds, but answers too late
    cancelled = _cancel(alice, order["id"])
    assert cancelled.status_code == (503 if outage == "unavailable" else 504)
    stored = Order.objects.get(id=order["id"])
    assert stored.status == "paid" and stored.refund_requested_at is not None
    body = alice.get(f"{ORDERS}{order['id']}/").json()
    assert body["status"] == "paid" and body["payment"]["refund_in_progress"] is True
    # The money may be on its way back: the goods must not leave.
    refused = staff.post(f"{ORDERS}{order['id']}/fulfil/")
    assert refused.status_code == 409 and refused.json()["code"] == "refund_in_progress"
    with pytest.raises(RefundInProgress):
        services.order_fulfil(order_id=stored.id, actor=services.SYSTEM)
    assert Order.objects.get(id=order["id"]).status == "paid"
    assert catalog.products[product]["stock"] == 2  # still the order's until the refund is settled
    if outage == "timeout":
        poll_until(lambda: payments.refunds == 1, timeout=5, message="the late refund")  # before the stub stops


def test_the_order_is_not_locked_while_payments_refunds(alice: APIClient, catalog: Catalog, payments: Payments) -> None:
    order = _paid(alice, catalog, catalog.add())
    seen: list[Any] = []

    def look(payment_id: str) -> None:
        # Another connection, as another request would: the request is committed and the row is free.
        try:
            with transaction.atomic():
                seen.append(Order.objects.select_for_update(nowait=True).get(id=order["id"]).refund_requested_at)
        except DatabaseError as error:
            seen.append(error)
        finally:
            connection.close()

    payments.on_refund = look
    assert _cancel(alice, order["id"]).json()["status"] == "refunded"
    assert len(seen) == 1 and isinstance(seen[0], datetime), seen
    assert Order.objects.get(id=order["id"]).refund_requested_at is None


def test_the_reconciler_finishes_a_refund_whose_answer_was_lost(
    alice: APIClient, catalog: Catalog, payments: Payments, settings: Any
) -> None:
    product = catalog.add(stock=3)
    order = _paid(alice, catalog, product, 2)
    settings.SERVICE_READ_TIMEOUT = 0.3
    payments.delay = 0.6  # payments refunds, but the answer never reaches this service
    assert _cancel(alice, order["id"]).status_code == 504
    poll_until(lambda: payments.refunds == 1, timeout=5, message="the late refund")
    payments.delay = 0
    assert services.orders_reconcile()["refunded"] == 0  # not overdue yet: perhaps still being answered
    assert Order.objects.get(id=order["id"]).status == "paid"
    Order.objects.filter(id=order["id"]).update(
        refund_requested_at=timezone.now() - timedelta(seconds=settings.ORDERS_PAYMENT_TIMEOUT + 1)
    )
    counts = services.orders_reconcile()
    assert counts["refunded"] == 1 and counts["errors"] == 0
    refunded = Order.objects.get(id=order["id"])
    assert refunded.status == "refunded" and refunded.refund_requested_at is None
    assert refunded.reservation_released and catalog.products[product]["stock"] == 3
    last = refunded.history.last()
    # The customer asked for it: the history says so, whoever finished it.
    assert last is not None and (last.from_status, last.to_status, last.actor) == ("paid", "refunded", "customer")
    assert (last.actor_id, last.reason) == (ALICE, "cancelled after payment")
    assert payments.payments[order["payment"]["paid_payment_id"]]["status"] == "refunded"
    assert payments.refunds == 1  # asked twice, made once
    assert OutboxEvent.objects.filter(event_type="order.refunded").count() == 1
    assert services.orders_reconcile()["refunded"] == 0


def test_the_same_cancel_sent_again_after_the_outage_completes_the_refund(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments
) -> None:
    product = catalog.add(stock=3)
    order = _paid(alice, catalog, product)
    payments.down = True
    assert _cancel_with(alice, order["id"], "cancel-1", "Ordered the wrong size.").status_code == 503
    first_request = Order.objects.get(id=order["id"]).refund_requested_at
    assert first_request is not None
    assert _cancel_with(alice, order["id"], "cancel-1", "Ordered the wrong size.").status_code == 503
    assert Order.objects.get(id=order["id"]).refund_requested_at == first_request  # the same request, kept
    payments.down = False
    retried = _cancel_with(alice, order["id"], "cancel-1", "Ordered the wrong size.")
    assert retried.status_code == 200, retried.content
    body = retried.json()
    assert body["status"] == "refunded" and body["payment"]["refund_in_progress"] is False
    assert body["history"][-1]["reason"] == "Ordered the wrong size."
    assert Order.objects.get(id=order["id"]).refund_requested_at is None
    assert catalog.products[product]["stock"] == 3 and payments.refunds == 1
    assert staff.post(f"{ORDERS}{order['id']}/fulfil/").json()["code"] == "invalid_transition"


@pytest.mark.parametrize("by", ["retry", "reconciler"])
def test_a_refund_payments_will_not_make_drops_the_request_and_the_order_can_be_fulfilled(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments, settings: Any, by: str
) -> None:
    order = _paid(alice, catalog, catalog.add())
    fulfil = f"{ORDERS}{order['id']}/fulfil/"
    payments.down = True
    assert _cancel_with(alice, order["id"], "cancel-1").status_code == 503
    assert staff.post(fulfil).json()["code"] == "refund_in_progress"
    payments.down, payments.refuse_refunds = False, "not_refundable"
    if by == "retry":
        refused = _cancel_with(alice, order["id"], "cancel-1")
        assert refused.status_code == 409 and refused.json()["code"] == "not_refundable"
    else:
        _age_refund_request(order["id"], settings)
        counts = services.orders_reconcile()
        assert counts["errors"] == 1 and counts["refunded"] == 0
    stored = Order.objects.get(id=order["id"])
    assert stored.status == "paid" and stored.refund_requested_at is None and payments.refunds == 0
    assert alice.get(f"{ORDERS}{order['id']}/").json()["payment"]["refund_in_progress"] is False
    fulfilled = staff.post(fulfil)
    assert fulfilled.status_code == 200 and fulfilled.json()["status"] == "fulfilled"


@pytest.mark.parametrize("by", ["retry", "reconciler"])
def test_a_refund_the_bank_refused_for_now_stays_in_flight_until_it_is_made(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments, settings: Any, by: str
) -> None:
    # payments keeps a refund the bank refused requested and tries it again: the money may still go back.
    order = _paid(alice, catalog, catalog.add())
    fulfil = f"{ORDERS}{order['id']}/fulfil/"
    payments.refuse_refunds = "refund_refused"
    if by == "retry":
        refused = _cancel_with(alice, order["id"], "cancel-1")
        assert refused.status_code == 409 and refused.json()["code"] == "refund_refused"
    else:
        payments.down = True
        assert _cancel_with(alice, order["id"], "cancel-1").status_code == 503
        payments.down = False
        _age_refund_request(order["id"], settings)
        assert services.orders_reconcile()["refunded"] == 0
    assert Order.objects.get(id=order["id"]).refund_requested_at is not None
    assert staff.post(fulfil).json()["code"] == "refund_in_progress"
    payments.refuse_refunds = None  # the bank takes it now
    _age_refund_request(order["id"], settings)
    assert services.orders_reconcile()["refunded"] == 1
    stored = Order.objects.get(id=order["id"])
    assert stored.status == "refunded" and stored.refund_requested_at is None and payments.refunds == 1


def _age_refund_request(order_id: str, settings: Any) -> None:
    Order.objects.filter(id=order_id).update(
        refund_requested_at=timezone.now() - timedelta(seconds=settings.ORDERS_PAYMENT_TIMEOUT + 1)
    )


def test_the_payment_refunded_event_completes_a_refund_in_flight(
    alice: APIClient, staff: APIClient, catalog: Catalog, payments: Payments
) -> None:
    product = catalog.add(stock=3)
    order = _paid(alice, catalog, product)
    payments.down = True
    assert _cancel(alice, order["id"]).status_code == 503
    assert Order.objects.get(id=order["id"]).refund_requested_at is not None
    payments.down = False
    payments.payments[order["payment"]["paid_payment_id"]]["status"] = "refunded"  # payments' reconciler did it
    payment_refunded({"id": str(uuid.uuid4()), "type": "payment.refunded", "data": {"order_id": order["id"]}})
    refunded = Order.objects.get(id=order["id"])
    assert refunded.status == "refunded" and refunded.refund_requested_at is None
    assert catalog.products[product]["stock"] == 3
    assert staff.post(f"{ORDERS}{order['id']}/fulfil/").json()["code"] == "invalid_transition"
    again = _cancel(alice, order["id"])
    assert again.status_code == 200 and again.json()["status"] == "refunded"
    assert services.orders_reconcile()["refunded"] == 0
