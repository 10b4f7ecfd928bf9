"""The catalog through the gateway: public reads, the micro-cache that never leaks, reservations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, issue_service_token, register_service_client
from servicekit.waiting import poll_until


@pytest.fixture
def anonymous() -> Iterator[requests.Session]:
    """A client with no token and no cookies, as a shop's visitors are."""
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def staff_headers(stack: Stack) -> dict[str, str]:
    response = requests.post(
        f"{stack.url}/auth/api/token/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    )
    return {"Authorization": f"Bearer {response.json()['access']}"}


def _create(stack: Stack, staff_headers: dict[str, str], **fields: object) -> dict[str, object]:
    body = {"name": "E2E kettle", "sku": f"E2E-{uuid.uuid4().hex[:10]}", "price": 2500, "currency": "EUR", "stock": 3}
    body.update(fields)
    response = requests.post(f"{stack.url}/catalog/api/products/", json=body, headers=staff_headers, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_demo_catalog_is_public(stack: Stack, anonymous: requests.Session) -> None:
    response = anonymous.get(f"{stack.url}/catalog/api/products/", params={"search": "espresso"}, timeout=10)
    assert response.status_code == 200
    # The demo product; other suites of the session may have added products that match too.
    assert "COF-ESP-1KG" in [item["sku"] for item in response.json()["results"]]
    assert anonymous.get(f"{stack.url}/catalog/api/categories/", timeout=10).json()["count"] >= 3


def test_anonymous_reads_are_micro_cached(stack: Stack, anonymous: requests.Session) -> None:
    url = f"{stack.url}/catalog/api/products/?search={uuid.uuid4().hex}"
    first = anonymous.get(url, timeout=10)
    second = anonymous.get(url, timeout=10)
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.json() == first.json()
    # The gateway still adds its own headers to a cached answer.
    assert second.headers["X-Content-Type-Options"] == "nosniff" and second.headers["X-Request-ID"]


def test_the_micro_cache_never_serves_or_stores_a_signed_in_answer(
    stack: Stack, anonymous: requests.Session, staff_headers: dict[str, str]
) -> None:
    hidden = _create(stack, staff_headers, is_active=False)
    url = f"{stack.url}/catalog/api/products/?search={hidden['sku']}"

    as_staff = requests.get(url, headers=staff_headers, timeout=10)
    assert as_staff.headers["X-Cache-Status"] == "BYPASS"
    assert [item["sku"] for item in as_staff.json()["results"]] == [hidden["sku"]]

    for _ in range(2):
        public = anonymous.get(url, timeout=10)
        assert public.status_code == 200 and public.json()["results"] == []
    assert public.headers["X-Cache-Status"] == "HIT"

    again = requests.get(url, headers=staff_headers, timeout=10)
    assert again.headers["X-Cache-Status"] == "BYPASS" and again.json()["count"] == 1
    with_cookie = requests.get(url, headers={"Cookie": "catalog_sessionid=x"}, timeout=10)
    assert with_cookie.headers["X-Cache-Status"] == "BYPASS"
    # A token that fails verification is refused, never answered from the cache.
    forged = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=10)
    assert forged.status_code == 401


def test_a_change_shows_once_the_micro_cache_entry_expires(
    stack: Stack, anonymous: requests.Session, staff_headers: dict[str, str]
) -> None:
    product = _create(stack, staff_headers)
    url = f"{stack.url}/catalog/api/products/{product['id']}/"
    first = anonymous.get(url, timeout=10)
    assert first.json()["price"] == 2500
    assert anonymous.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10).status_code == 304

    changed = requests.patch(url, json={"price": 2600}, headers=staff_headers, timeout=10)
    assert changed.status_code == 200
    poll_until(
        lambda: anonymous.get(url, timeout=10).json()["price"] == 2600,
        timeout=5,
        interval=0.2,
        message="the cached price to give way to the new one (the micro-cache's time)",
    )


def test_order_service_reserves_stock_on_the_private_network_only(
    stack: Stack, http: requests.Session, staff_headers: dict[str, str]
) -> None:
    product = _create(stack, staff_headers, stock=2)
    secret = register_service_client(stack, "orders-e2e", "catalog:reserve")
    token = issue_service_token(stack, http, "orders-e2e", secret).json()["access_token"]
    body = {"order_id": str(uuid.uuid4()), "lines": [{"product_id": product["id"], "quantity": 2}]}
    bearer = {"Authorization": f"Bearer {token}"}

    hidden = http.post(f"{stack.url}/catalog/internal/reservations/", json=body, headers=bearer, timeout=10)
    assert hidden.status_code == 404

    private = f"{stack.service_url('catalog')}/catalog/internal/reservations/"
    reserved = http.post(private, json=body, headers=bearer, timeout=10)
    assert reserved.status_code == 201, reserved.text
    assert reserved.json()["lines"][0]["unit_price"] == 2500
    again = http.post(private, json={**body, "order_id": str(uuid.uuid4())}, headers=bearer, timeout=10)
    assert again.status_code == 409 and again.json()["code"] == "insufficient_stock"
    stock = requests.get(f"{stack.url}/catalog/api/products/{product['id']}/", headers=staff_headers, timeout=10)
    assert stock.json()["stock"] == 0
