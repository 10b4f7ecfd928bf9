"""Through the gateway: a transfer tells nothing about the other account; no customer can hold the stock."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from e2e import shop
from e2e.conftest import Stack, at_once


def _transfer(stack: Stack, http: requests.Session, sender: dict[str, str], body: dict[str, Any], key: str) -> Any:
    return http.post(
        f"{stack.url}/bank/api/transfers/", json=body, headers={**sender, "Idempotency-Key": key}, timeout=10
    )


def _answer(response: requests.Response) -> tuple[int, dict[str, Any]]:
    """Status and body, without the request id (which differs on every request)."""
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body


def test_a_transfer_shows_the_sender_only_their_own_side_and_a_replay_the_same(
    stack: Stack, http: requests.Session
) -> None:
    alice, bob = shop.customer(stack, http), shop.customer(stack, http)
    source = shop.funded_account(stack, http, alice, 1_000)
    target = shop.funded_account(stack, http, bob, 7_777)  # Bob's balance, which Alice must not learn
    assert http.get(f"{stack.url}/bank/api/accounts/{target}/", headers=alice, timeout=10).status_code == 404

    body = {"source_account_id": source, "target_account_id": target, "amount": 1}
    first = _transfer(stack, http, alice, body, key := uuid.uuid4().hex)
    assert first.status_code == 201, first.text
    assert first.json()["postings"] == [{"account_id": source, "amount": -1, "balance_after": 999}]
    assert target not in first.text and "7778" not in first.text
    replay = _transfer(stack, http, alice, body, key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert shop.balance(stack, http, bob, target) == 7_778


def test_another_customers_frozen_or_closed_account_is_answered_as_a_missing_one(
    stack: Stack, http: requests.Session
) -> None:
    alice, bob, staff = shop.customer(stack, http), shop.customer(stack, http), shop.staff(stack, http)
    source = shop.funded_account(stack, http, alice, 1_000)
    frozen, closed = shop.funded_account(stack, http, bob, 500), shop.funded_account(stack, http, bob, 0)
    for account, action in ((frozen, "freeze"), (closed, "close")):
        changed = http.post(f"{stack.url}/bank/api/accounts/{account}/{action}/", headers=staff, timeout=10)
        assert changed.status_code == 200, changed.text

    answers = {
        name: _answer(
            _transfer(
                stack,
                http,
                alice,
                {"source_account_id": source, "target_account_id": target, "amount": 1},
                uuid.uuid4().hex,
            )
        )
        for name, target in (("missing", str(uuid.uuid4())), ("frozen", frozen), ("closed", closed))
    }
    missing = (404, {"code": "not_found", "message": "Not found.", "fields": {}})
    assert answers == {"missing": missing, "frozen": missing, "closed": missing}
    assert shop.balance(stack, http, alice, source) == 1_000

    # Her own frozen account still says so.
    assert http.post(f"{stack.url}/bank/api/accounts/{source}/freeze/", headers=staff, timeout=10).status_code == 200
    own = _transfer(
        stack,
        http,
        alice,
        {"source_account_id": source, "target_account_id": shop.funded_account(stack, http, bob, 0), "amount": 1},
        uuid.uuid4().hex,
    )
    assert own.status_code == 409 and own.json()["code"] == "account_not_active", own.text


def test_a_customer_without_a_bank_account_cannot_hold_a_products_whole_stock(
    stack: Stack, http: requests.Session
) -> None:
    customer = shop.customer(stack, http)
    product = shop.product(stack, http, price=100, stock=990)

    everything = shop.order(stack, http, customer, product, 990)
    assert everything.status_code == 400, everything.text
    assert "At most 100 units" in str(everything.json()["fields"])
    held = [shop.order(stack, http, customer, product, 100) for _ in range(5)]
    assert [response.status_code for response in held] == [201] * 5, [response.text for response in held]
    sixth = shop.order(stack, http, customer, product, 100)
    assert sixth.status_code == 409, sixth.text
    assert sixth.json()["code"] == "too_many_pending_orders" and "at most 5" in sixth.json()["message"]
    assert shop.stock(stack, http, product) == 490

    # Paying or cancelling one frees a slot.
    cancelled = shop.cancel(stack, http, customer, held[0].json()["id"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert shop.order(stack, http, customer, product, 100).status_code == 201


def test_an_order_of_more_units_in_all_than_allowed_is_a_400_that_says_the_limit(
    stack: Stack, http: requests.Session
) -> None:
    customer = shop.customer(stack, http)
    products = [shop.product(stack, http, price=10, stock=200) for _ in range(6)]
    response = shop.order_items(
        stack, http, customer, [{"product_id": product, "quantity": 100} for product in products]
    )
    assert response.status_code == 400, response.text
    assert response.json()["fields"]["items"] == ["At most 500 units in one order; this one has 600."]
    assert [shop.stock(stack, http, product) for product in products] == [200] * 6


def test_an_order_the_bank_could_never_charge_is_refused_and_holds_no_stock(
    stack: Stack, http: requests.Session
) -> None:
    customer = shop.customer(stack, http)
    product = shop.product(stack, http, price=100_000_000, stock=3)
    response = shop.order(stack, http, customer, product, 2)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "order_total_too_large" and "100000000" in response.json()["message"]
    assert shop.stock(stack, http, product) == 3
    orders = http.get(f"{stack.url}/orders/api/orders/", headers=customer, timeout=10).json()
    assert orders["count"] == 0


def test_placements_at_once_by_one_customer_never_pass_the_pending_limit(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    product = shop.product(stack, http, price=100, stock=20)
    answers = at_once(lambda: shop.order(stack, requests.Session(), customer, product, 1), 10)
    assert sorted(answer.status_code for answer in answers) == [201] * 5 + [409] * 5, [a.text for a in answers]
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {"too_many_pending_orders"}
    assert shop.stock(stack, http, product) == 15  # a refused placement's stock went back at once
