import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from products import errors, locks, services
from products.models import Product, Reservation
from servicekit.testing import run_concurrently, service_client, user_client

RESERVATIONS = "/catalog/internal/reservations/"


def _stock(product: Product) -> int:
    product.refresh_from_db()
    return product.stock


@pytest.mark.django_db
def test_a_reservation_takes_every_line_and_records_prices(orders: APIClient, product: Callable[..., Product]) -> None:
    beans, mug = product(stock=5, price=1250), product(stock=2, price=800)
    order_id = uuid.uuid4()
    body = {
        "order_id": str(order_id),
        "lines": [{"product_id": str(beans.id), "quantity": 3}, {"product_id": str(mug.id), "quantity": 2}],
    }
    response = orders.post(RESERVATIONS, body, format="json")
    assert response.status_code == 201, response.content
    reservation = response.json()
    assert reservation["status"] == "held" and reservation["order_id"] == str(order_id)
    lines = {line["product_id"]: line for line in reservation["lines"]}
    assert lines[str(beans.id)]["unit_price"] == 1250 and lines[str(beans.id)]["quantity"] == 3
    assert lines[str(mug.id)]["sku"] == mug.sku and lines[str(mug.id)]["currency"] == "EUR"
    assert (_stock(beans), _stock(mug)) == (2, 0)

    again = orders.post(RESERVATIONS, body, format="json")
    assert again.status_code == 200 and again.json()["id"] == reservation["id"]
    assert (_stock(beans), _stock(mug)) == (2, 0)

    other = {"order_id": str(order_id), "lines": [{"product_id": str(beans.id), "quantity": 1}]}
    conflict = orders.post(RESERVATIONS, other, format="json")
    assert conflict.status_code == 409 and conflict.json()["code"] == "reservation_mismatch"

    fetched = orders.get(f"{RESERVATIONS}{order_id}/")
    assert fetched.status_code == 200 and fetched.json()["id"] == reservation["id"]


@pytest.mark.django_db
def test_a_reservation_is_all_or_nothing(orders: APIClient, product: Callable[..., Product]) -> None:
    plenty, scarce = product(stock=10), product(stock=1)
    body = {
        "order_id": str(uuid.uuid4()),
        "lines": [{"product_id": str(plenty.id), "quantity": 4}, {"product_id": str(scarce.id), "quantity": 2}],
    }
    response = orders.post(RESERVATIONS, body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["fields"] == {"available": {str(scarce.id): 1}}
    assert (_stock(plenty), _stock(scarce)) == (10, 1)
    assert not Reservation.objects.exists()


@pytest.mark.django_db
def test_unknown_inactive_or_mixed_products_are_refused(orders: APIClient, product: Callable[..., Product]) -> None:
    active, inactive, dollars = product(), product(is_active=False), product(currency="USD")
    unknown = uuid.uuid4()

    def reserve(*product_ids: uuid.UUID) -> dict[str, object]:
        lines = [{"product_id": str(product_id), "quantity": 1} for product_id in product_ids]
        response = orders.post(RESERVATIONS, {"order_id": str(uuid.uuid4()), "lines": lines}, format="json")
        assert response.status_code == 400, response.content
        return dict(response.json())

    refused = reserve(active.id, inactive.id, unknown)
    assert refused["code"] == "unknown_products"
    assert sorted(refused["fields"]["product_ids"]) == sorted([str(inactive.id), str(unknown)])  # type: ignore[index]
    assert reserve(active.id, dollars.id)["code"] == "mixed_currencies"
    assert _stock(active) == 10 and not Reservation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"product_id": "nope", "quantity": 1}],
        [{"quantity": 1}],
        [{"product_id": str(uuid.uuid4()), "quantity": 0}],
        [{"product_id": str(uuid.uuid4()), "quantity": -1}],
        [{"product_id": str(uuid.uuid4()), "quantity": 1.5}],
        [{"product_id": str(uuid.uuid4()), "quantity": "2"}],
        [{"product_id": str(uuid.uuid4()), "quantity": 10**9}],
        [{"product_id": "6f1c54a4-61a4-4a26-9d3c-3a5c1ed55d2b", "quantity": 1}] * 2,
    ],
)
def test_bad_reservation_lines_are_a_400(orders: APIClient, lines: list[dict[str, object]]) -> None:
    response = orders.post(RESERVATIONS, {"order_id": str(uuid.uuid4()), "lines": lines}, format="json")
    assert response.status_code == 400 and "lines" in response.json()["fields"]


@pytest.mark.django_db
def test_reservations_are_for_services_with_the_catalog_reserve_scope(product: Callable[..., Product]) -> None:
    body = {"order_id": str(uuid.uuid4()), "lines": [{"product_id": str(product().id), "quantity": 1}]}
    assert APIClient().post(RESERVATIONS, body, format="json").status_code == 401
    assert user_client(uuid.uuid4(), "staff", "admin").post(RESERVATIONS, body, format="json").status_code == 401
    assert service_client("payments", "bank:transfer").post(RESERVATIONS, body, format="json").status_code == 403
    assert service_client("orders", "catalog:reserve").post(RESERVATIONS, body, format="json").status_code == 201


@pytest.mark.django_db
def test_commit_keeps_the_stock_out_and_release_gives_it_back(
    orders: APIClient, product: Callable[..., Product]
) -> None:
    item = product(stock=5)
    paid, cancelled = uuid.uuid4(), uuid.uuid4()
    for order_id in (paid, cancelled):
        services.reservation_create(order_id=order_id, lines=[(item.id, 2)])
    assert _stock(item) == 1

    for _ in range(2):  # committing twice is harmless
        committed = orders.post(f"{RESERVATIONS}{paid}/commit/")
        assert committed.status_code == 200 and committed.json()["status"] == "committed"
    for _ in range(2):  # so is releasing twice
        released = orders.post(f"{RESERVATIONS}{cancelled}/release/")
        assert released.status_code == 200 and released.json()["status"] == "released"
    assert _stock(item) == 3

    late = orders.post(f"{RESERVATIONS}{cancelled}/commit/")
    assert late.status_code == 409 and late.json()["code"] == "reservation_not_held"

    # A paid order that is refunded puts its stock back too.
    assert orders.post(f"{RESERVATIONS}{paid}/release/").json()["status"] == "released"
    assert _stock(item) == 5
    missing = orders.post(f"{RESERVATIONS}{uuid.uuid4()}/commit/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert orders.get(f"{RESERVATIONS}{uuid.uuid4()}/").status_code == 404


@pytest.mark.django_db
def test_held_reservations_expire_and_return_their_stock(product: Callable[..., Product]) -> None:
    item = product(stock=4)
    stale, fresh, paid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for order_id in (stale, fresh, paid):
        services.reservation_create(order_id=order_id, lines=[(item.id, 1)])
    services.reservation_commit(order_id=paid)
    past = timezone.now() - timedelta(seconds=1)
    Reservation.objects.filter(order_id__in=[stale, paid]).update(expires_at=past)

    call_command("expire_reservations")

    statuses = dict(Reservation.objects.values_list("order_id", "status"))
    assert statuses == {stale: "expired", fresh: "held", paid: "committed"}
    assert _stock(item) == 2
    with pytest.raises(errors.ReservationNotHeld):
        services.reservation_commit(order_id=stale)
    assert services.reservations_expire() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_for_the_last_units_never_oversell(product: Callable[..., Product]) -> None:
    item = product(stock=7)

    def buyer() -> list[str]:
        outcomes = []
        for _ in range(3):
            try:
                services.reservation_create(order_id=uuid.uuid4(), lines=[(item.id, 1)])
                outcomes.append("reserved")
            except errors.InsufficientStock:
                outcomes.append("refused")
        return outcomes

    results = run_concurrently(buyer, 12)
    assert not [result for result in results if isinstance(result, Exception)]
    outcomes = [outcome for result in results if isinstance(result, list) for outcome in result]

    assert len(outcomes) == 36
    assert outcomes.count("reserved") == 7
    assert _stock(item) == 0
    assert Reservation.objects.count() == 7


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_of_one_order_reserve_once(product: Callable[..., Product]) -> None:
    item = product(stock=50)
    order_id = uuid.uuid4()

    def reserve() -> bool:
        _, made = services.reservation_create(order_id=order_id, lines=[(item.id, 5)])
        return made

    created = run_concurrently(reserve, 6)

    assert sorted(created, key=str) == [False] * 5 + [True]
    assert _stock(item) == 45


@pytest.mark.django_db(transaction=True)
def test_an_expirer_skips_a_reservation_another_transaction_holds(product: Callable[..., Product]) -> None:
    item = product(stock=5)
    held, free = uuid.uuid4(), uuid.uuid4()
    for order_id in (held, free):
        services.reservation_create(order_id=order_id, lines=[(item.id, 1)])
    past = timezone.now() - timedelta(seconds=1)
    Reservation.objects.filter(order_id=held).update(expires_at=past - timedelta(minutes=1))  # the first due
    Reservation.objects.filter(order_id=free).update(expires_at=past)

    def expire_while_held() -> int:
        return services.reservations_expire()

    with transaction.atomic():
        locks.reservation_for_update(held)  # a commit of it under way, say
        expired = run_concurrently(expire_while_held, 1)

    assert expired == [1]
    statuses = dict(Reservation.objects.values_list("order_id", "status"))
    assert statuses == {held: "held", free: "expired"}
    assert services.reservations_expire() == 1 and _stock(item) == 5


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_negative_stock() -> None:
    from django.db import IntegrityError

    item = services.product_save(name="Last", sku="LAST-1", price=1, currency="EUR", stock=1)
    with pytest.raises(IntegrityError):
        Product.objects.filter(id=item.id).update(stock=-1)


@pytest.mark.django_db
def test_products_publish_created_updated_and_a_low_stock_event_once(
    product: Callable[..., Product], settings: object
) -> None:
    from servicekit.models import OutboxEvent

    item = product(stock=8)
    services.product_save(product=item, price=1300)
    assert list(OutboxEvent.objects.order_by("id").values_list("event_type", flat=True)) == [
        "product.created",
        "product.updated",
    ]
    services.reservation_create(order_id=uuid.uuid4(), lines=[(item.id, 2)])  # 6 left: above the threshold of 5
    assert not OutboxEvent.objects.filter(event_type="stock.low").exists()
    services.reservation_create(order_id=uuid.uuid4(), lines=[(item.id, 2)])  # 4 left: crossed
    services.reservation_create(order_id=uuid.uuid4(), lines=[(item.id, 1)])  # 3 left: still low, no new event
    low = OutboxEvent.objects.get(event_type="stock.low")
    assert low.data["stock"] == 4 and low.data["threshold"] == 5 and low.data["sku"] == item.sku


@pytest.mark.django_db
def test_a_staff_edit_of_a_stale_copy_never_gives_reserved_stock_back(product: Callable[..., Product]) -> None:
    stale = product(stock=5)
    services.reservation_create(order_id=uuid.uuid4(), lines=[(stale.id, 3)])  # stock is now 2 in the database
    services.product_save(product=stale, price=999)  # the caller's copy still says 5
    assert _stock(stale) == 2
    assert Product.objects.get(id=stale.id).price == 999
