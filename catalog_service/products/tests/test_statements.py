"""How many SQL statements the catalog's hot paths cost: upper bounds, so that a re-read creeping back
in fails here; and the hand-built answers equal what the serializers' declared fields make."""

import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products import selectors
from products.models import Category, Product, Reservation
from products.serializers import ProductOutputSerializer, ReservationOutputSerializer

RESERVATIONS = "/catalog/internal/reservations/"
PRODUCTS = "/catalog/api/products/"


def _sent(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the transaction markers Django records."""
    return [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]


@pytest.mark.django_db(transaction=True)
def test_a_reservation_and_its_commit_read_nothing_back(orders: APIClient, product: Callable[..., Product]) -> None:
    beans, mug = product(stock=5), product(stock=5)
    order_id = uuid.uuid4()
    body = {
        "order_id": str(order_id),
        "lines": [{"product_id": str(beans.id), "quantity": 2}, {"product_id": str(mug.id), "quantity": 1}],
    }
    with CaptureQueriesContext(connection) as reserving:
        reserved = orders.post(RESERVATIONS, body, format="json")
    assert reserved.status_code == 201, reserved.content
    # Claim the order id, lock the products, take the stock of every line, write the lines.
    assert len(_sent(reserving)) <= 4, _sent(reserving)
    assert reserved.json() == ReservationOutputSerializer(selectors.reservation_detail(order_id)).data
    with CaptureQueriesContext(connection) as committing:
        committed = orders.post(f"{RESERVATIONS}{order_id}/commit/")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    # Lock the reservation, mark it committed, its lines with their products for the answer.
    assert len(_sent(committing)) <= 3, _sent(committing)
    assert committed.json()["lines"] == reserved.json()["lines"]


@pytest.mark.django_db
def test_the_product_page_is_one_statement_and_the_list_two(
    product: Callable[..., Product], category: Category
) -> None:
    item = product(category=category)
    for _ in range(3):
        product(category=category)
    reader = APIClient()
    with CaptureQueriesContext(connection) as page:
        answer = reader.get(f"{PRODUCTS}{item.id}/", {"nocache": "1"})
    assert answer.status_code == 200 and len(_sent(page)) == 1, _sent(page)
    with CaptureQueriesContext(connection) as listing:
        listed = reader.get(PRODUCTS, {"page_size": 2})
    # The ETag's state (which counts the list, for the page too), then the page.
    assert listed.status_code == 200 and len(_sent(listing)) <= 2, _sent(listing)
    assert listed.json()["count"] == 4 and len(listed.json()["results"]) == 2 and listed.json()["next"]


@pytest.mark.django_db
def test_product_answer_is_the_declared_shape(product: Callable[..., Product], category: Category) -> None:
    for item in (product(category=category, stock=3), product(stock=0)):
        shown = selectors.product_detail(item.id)
        serializer = ProductOutputSerializer(shown)
        declared = super(ProductOutputSerializer, serializer).to_representation(shown)
        assert serializer.to_representation(shown) == dict(declared)


@pytest.mark.django_db
def test_reservation_answer_is_the_declared_shape(orders: APIClient, product: Callable[..., Product]) -> None:
    order_id = uuid.uuid4()
    body = {"order_id": str(order_id), "lines": [{"product_id": str(product().id), "quantity": 1}]}
    assert orders.post(RESERVATIONS, body, format="json").status_code == 201
    shown = Reservation.objects.prefetch_related("lines__product").get(order_id=order_id)
    serializer = ReservationOutputSerializer(shown)
    declared = super(ReservationOutputSerializer, serializer).to_representation(shown)
    assert serializer.to_representation(shown) == dict(declared) and declared["lines"]
