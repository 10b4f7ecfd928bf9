"""No customer can hold the stock: pending orders per customer, units per line and order, and totals are bounded."""

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import Order
from orders.tests.conftest import ALICE, BOB, Catalog, Payments
from servicekit.testing import run_concurrently, user_client

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/orders/api/orders/"


@pytest.fixture
def alice() -> APIClient:
    return user_client(ALICE)


def _place(client: APIClient, *items: tuple[str, int]) -> Any:
    body = {"items": [{"product_id": product_id, "quantity": quantity} for product_id, quantity in items]}
    return client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def _post(client: APIClient, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def test_a_customer_may_have_five_pending_orders_and_the_sixth_is_a_409_that_says_so(
    alice: APIClient, catalog: Catalog, payments: Payments
) -> None:
    product = catalog.add(stock=100)
    placed = [_place(alice, (product, 1)) for _ in range(5)]
    assert [response.status_code for response in placed] == [201] * 5
    refused = _place(alice, (product, 1))
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["code"] == "too_many_pending_orders" and "at most 5" in body["message"], body
    assert len(catalog.reservations) == 5 and catalog.products[product]["stock"] == 95  # never reserved
    assert Order.objects.filter(user_id=ALICE).count() == 5
    assert _place(user_client(BOB), (product, 1)).status_code == 201  # another customer has their own

    # A slot frees when an order is cancelled, paid, or its reservation lapses.
    first, second, third = (response.json()["id"] for response in placed[:3])
    assert _post(alice, f"{ORDERS}{first}/cancel/", {}).json()["status"] == "cancelled"
    assert _place(alice, (product, 1)).status_code == 201
    assert _post(alice, f"{ORDERS}{second}/pay/", {"account_id": str(uuid.uuid4())}).json()["status"] == "paid"
    assert _place(alice, (product, 1)).status_code == 201
    Order.objects.filter(id=third).update(reservation_expires_at=timezone.now() - timedelta(seconds=1))
    assert _place(alice, (product, 1)).status_code == 201
    assert _place(alice, (product, 1)).json()["code"] == "too_many_pending_orders"


def test_staff_are_held_to_the_same_pending_limit(settings: Any, catalog: Catalog) -> None:
    settings.ORDERS_MAX_PENDING_PER_CUSTOMER = 1
    staff = user_client(uuid.uuid4(), "customer", "staff")
    product = catalog.add()
    assert _place(staff, (product, 1)).status_code == 201
    refused = _place(staff, (product, 1))
    assert refused.status_code == 409 and "at most 1 " in refused.json()["message"]


def test_two_placements_at_once_cannot_both_take_the_last_pending_slot(settings: Any, catalog: Catalog) -> None:
    settings.ORDERS_MAX_PENDING_PER_CUSTOMER = 2
    product = catalog.add(stock=10)
    assert _place(user_client(ALICE), (product, 1)).status_code == 201
    # Both requests pass the early count (one slot is left) and meet at the catalog, then race to store.
    both_reserving = threading.Barrier(2, timeout=10)

    def meet() -> None:
        both_reserving.wait()

    catalog.on_reserve = meet
    outcomes = run_concurrently(lambda: _place(user_client(ALICE), (product, 1)), 2)
    answers = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(answers) == 2, outcomes
    assert sorted(answer.status_code for answer in answers) == [201, 409], [a.content for a in answers]
    [loser] = [answer for answer in answers if answer.status_code == 409]
    assert loser.json()["code"] == "too_many_pending_orders"
    assert Order.objects.filter(user_id=ALICE, status="pending").count() == 2
    statuses = sorted(reservation["status"] for reservation in catalog.reservations.values())
    assert statuses == ["held", "held", "released"]  # the loser's stock went back at once
    assert catalog.products[product]["stock"] == 8


def test_a_line_over_the_unit_limit_is_a_400_that_says_the_limit(alice: APIClient, catalog: Catalog) -> None:
    product = catalog.add(stock=990)
    refused = _place(alice, (product, 101))
    assert refused.status_code == 400 and refused.json()["code"] == "validation_error"
    assert "At most 100 units of one product per order." in str(refused.json()["fields"]["items"])
    assert catalog.reservations == {} and catalog.products[product]["stock"] == 990
    assert _place(alice, (product, 100)).status_code == 201


def test_an_order_over_the_unit_limit_in_all_is_a_400_that_says_the_limit(alice: APIClient, catalog: Catalog) -> None:
    products = [catalog.add(stock=1000) for _ in range(6)]
    refused = _place(alice, *((product, 100) for product in products))
    assert refused.status_code == 400 and refused.json()["code"] == "validation_error"
    assert refused.json()["fields"]["items"] == ["At most 500 units in one order; this one has 600."]
    assert catalog.reservations == {}
    assert _place(alice, *((product, 100) for product in products[:5])).status_code == 201


def test_an_order_the_bank_could_never_charge_is_refused_and_its_stock_released(
    alice: APIClient, catalog: Catalog
) -> None:
    costly = catalog.add(price=50_000_001, stock=3)
    refused = _place(alice, (costly, 2))
    assert refused.status_code == 400, refused.content
    body = refused.json()
    assert body["code"] == "order_total_too_large" and "100000002" in body["message"] and "100000000" in body["message"]
    assert catalog.products[costly]["stock"] == 3 and not Order.objects.exists()
    assert [reservation["status"] for reservation in catalog.reservations.values()] == ["released"]
    at_the_limit = _place(alice, (catalog.add(price=50_000_000, stock=2), 2))
    assert at_the_limit.status_code == 201 and at_the_limit.json()["total"] == 100_000_000
