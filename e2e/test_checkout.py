"""The checkout saga through the gateway: order, pay, notifications, cancel and refund; races for stock and pays."""

from __future__ import annotations

import threading
import time

import requests

from e2e import shop
from e2e.conftest import Stack


def _titles(stack: Stack, http: requests.Session, customer: dict[str, str], *, wanted: int) -> list[str]:
    deadline = time.monotonic() + 20
    while True:
        body = http.get(f"{stack.url}/notifications/api/notifications/", headers=customer, timeout=10).json()
        if body["count"] >= wanted or time.monotonic() > deadline:
            return [item["title"] for item in body["results"]]
        time.sleep(0.3)


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
    statuses: list[int] = []
    start = threading.Barrier(10)

    def buy(customer: dict[str, str]) -> None:
        start.wait()
        statuses.append(shop.order(stack, requests.Session(), customer, product, 1).status_code)

    threads = [threading.Thread(target=buy, args=(customer,)) for customer in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [409] * 7
    assert shop.stock(stack, http, product) == 0


def test_the_same_pay_request_sent_twice_at_once_charges_once(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    account = shop.funded_account(stack, http, customer, 1_000)
    order = shop.order(stack, http, customer, shop.product(stack, http, price=400, stock=2), 1).json()
    answers: list[int] = []
    start = threading.Barrier(4)

    def pay(key: str) -> None:
        start.wait()
        response = requests.post(
            f"{stack.url}/orders/api/orders/{order['id']}/pay/",
            json={"account_id": account},
            headers={**customer, "Idempotency-Key": key},
            timeout=15,
        )
        answers.append(response.status_code)

    # Two clients each send the same request twice (same key), all four at once.
    threads = [threading.Thread(target=pay, args=(key,)) for key in ("same-a", "same-a", "same-b", "same-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) <= {200, 409}, answers
    assert shop.balance(stack, http, customer, account) == 600  # charged exactly once
    final = http.get(f"{stack.url}/orders/api/orders/{order['id']}/", headers=customer, timeout=10).json()
    assert final["status"] == "paid"
    payments = http.get(f"{stack.url}/payments/api/payments/", params={"order_id": order["id"]}, headers=customer,
                        timeout=10).json()  # fmt: skip
    assert [p["status"] for p in payments["results"]].count("succeeded") == 1
