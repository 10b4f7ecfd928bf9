"""The checkout saga through the gateway: order, pay, notifications, cancel and refund; races for stock and pays."""

from __future__ import annotations

from queue import Queue

import requests

from e2e import shop
from e2e.conftest import Stack, at_once, polled


def _titles(stack: Stack, http: requests.Session, customer: dict[str, str], *, wanted: int) -> list[str]:
    body = polled(
        lambda: http.get(f"{stack.url}/notifications/api/notifications/", headers=customer, timeout=10).json(),
        lambda body: body["count"] >= wanted,
        timeout=20,
        interval=0.3,
    )
    return [item["title"] for item in body["results"]]


def test_the_whole_story_order_pay_cancel_refund(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    account = shop.funded_account(stack, http, customer, 10_000)
    product = shop.product(stack, http, price=1_500, stock=5)

    placed = shop.order(stack, http, customer, product, 2)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "pending" and order["total"] == 3_000
    assert shop.stock(stack, http, product) == 3

    paid = shop.pay(stack, http, customer, order["id"], account)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert shop.balance(stack, http, customer, account) == 7_000
    payment_id = paid.json()["payment"]["paid_payment_id"]
    payment = http.get(f"{stack.url}/payments/api/payments/{payment_id}/", headers=customer, timeout=10).json()
    assert payment["status"] == "succeeded" and payment["amount"] == 3_000 and payment["order_id"] == order["id"]

    cancelled = http.post(
        f"{stack.url}/orders/api/orders/{order['id']}/cancel/", json={}, headers=shop.keyed(customer), timeout=15
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "refunded"
    assert shop.balance(stack, http, customer, account) == 10_000
    assert shop.stock(stack, http, product) == 5
    payment = http.get(f"{stack.url}/payments/api/payments/{payment_id}/", headers=customer, timeout=10).json()
    assert payment["status"] == "refunded"

    titles = _titles(stack, http, customer, wanted=5)
    assert {"Order received: 30.00 EUR", "Order paid: 30.00 EUR", "Order refunded: 30.00 EUR"} <= set(titles), titles


def test_a_failed_payment_leaves_the_order_payable_from_another_account(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    empty, funded = shop.funded_account(stack, http, customer, 0), shop.funded_account(stack, http, customer, 5_000)
    order = shop.order(stack, http, customer, shop.product(stack, http, price=2_000, stock=1), 1).json()
    url = f"{stack.url}/orders/api/orders/{order['id']}/pay/"
    declined = http.post(url, json={"account_id": empty}, headers=shop.keyed(customer), timeout=15)
    assert declined.status_code == 402, declined.text
    assert declined.json()["code"] == "insufficient_funds"
    failed = declined.json()["order"]
    assert failed["status"] == "pending" and failed["payment"]["error_code"] == "insufficient_funds"
    paid = http.post(url, json={"account_id": funded}, headers=shop.keyed(customer), timeout=15).json()
    assert paid["status"] == "paid" and shop.balance(stack, http, customer, funded) == 3_000
    assert "Payment of 20.00 EUR failed" in _titles(stack, http, customer, wanted=4)


def test_ten_customers_race_for_the_last_three_units(stack: Stack, http: requests.Session) -> None:
    product = shop.product(stack, http, price=100, stock=3)
    customers = [shop.customer(stack, http) for _ in range(10)]
    waiting: Queue[dict[str, str]] = Queue()
    for customer in customers:
        waiting.put(customer)

    def buy() -> int:
        return shop.order(stack, requests.Session(), waiting.get_nowait(), product, 1).status_code

    statuses = at_once(buy, len(customers))
    assert sorted(statuses) == [201] * 3 + [409] * 7
    assert shop.stock(stack, http, product) == 0


def test_the_same_pay_request_sent_twice_at_once_charges_once(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    account = shop.funded_account(stack, http, customer, 1_000)
    order = shop.order(stack, http, customer, shop.product(stack, http, price=400, stock=2), 1).json()
    # Two clients each send the same request twice (same key), all four at once.
    keys: Queue[str] = Queue()
    for key in ("same-a", "same-a", "same-b", "same-b"):
        keys.put(key)

    def pay() -> int:
        response = requests.post(
            f"{stack.url}/orders/api/orders/{order['id']}/pay/",
            json={"account_id": account},
            headers={**customer, "Idempotency-Key": keys.get_nowait()},
            timeout=15,
        )
        return response.status_code

    answers = at_once(pay, 4)
    assert set(answers) <= {200, 409}, answers
    assert shop.balance(stack, http, customer, account) == 600  # charged exactly once
    final = http.get(f"{stack.url}/orders/api/orders/{order['id']}/", headers=customer, timeout=10).json()
    assert final["status"] == "paid"
    payments = http.get(f"{stack.url}/payments/api/payments/", params={"order_id": order["id"]}, headers=customer,
                        timeout=10).json()  # fmt: skip
    assert [p["status"] for p in payments["results"]].count("succeeded") == 1
