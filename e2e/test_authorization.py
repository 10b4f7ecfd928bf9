"""The authorisation the documents promise holds for every operation of every service, through the gateway.

For each operation of each service's OpenAPI document: anonymous callers get 401 exactly where
the document says 401 (sign-in operations aside: their 401 means bad credentials), a customer
gets 403 exactly where it says 403 (staff-only operations), and nothing answers 5xx.

Then ownership: a customer naming another customer's object, in the path of any operation or in
a body, gets 404, exactly as for an object that does not exist, and nothing changes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from e2e import shop
from e2e.conftest import Stack
from servicekit.waiting import poll_until
from stack.services import SERVICES

_PARAMETER = re.compile(r"\{[^}]+\}")


def _operations(stack: Stack, http: requests.Session) -> list[tuple[str, str, set[str], bool]]:
    """(method, path, documented statuses, whether it asks for no token at all) of every operation."""
    found = []
    for service in SERVICES:
        document = http.get(f"{stack.url}/{service.name}/api/schema/?format=json", timeout=10).json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    tokenless = operation.get("security") in (None, [], [{}])
                    found.append((method.upper(), path, set(operation["responses"]), tokenless))
    return found


def _call(http: requests.Session, stack: Stack, method: str, path: str, headers: dict[str, str]) -> Any:
    url = stack.url + _PARAMETER.sub(lambda _: str(uuid.uuid4()), path)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return http.request(method, url, json=body, headers=headers, timeout=15)


def test_every_operation_answers_anonymous_callers_and_customers_as_documented(
    stack: Stack, http: requests.Session
) -> None:
    registered = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"matrix-{uuid.uuid4().hex[:8]}@example.com", "password": "a-long-e2e-passphrase"},
        timeout=10,
    ).json()
    customer = {"Authorization": f"Bearer {registered['access']}"}
    operations = _operations(stack, http)
    assert len(operations) > 50
    mismatches = []
    calls = 0
    for method, path, documented, tokenless in operations:
        anonymous = _call(http, stack, method, path, {})
        as_customer = _call(http, stack, method, path, customer)
        calls += 2
        for who, response in (("anonymous", anonymous), ("customer", as_customer)):
            if response.status_code >= 500:
                mismatches.append(f"{who} {method} {path}: {response.status_code}")
        # A 401 documented on a token-less operation is about bad credentials (sign-in), not anonymity.
        if (anonymous.status_code == 401) != ("401" in documented and not tokenless):
            mismatches.append(f"anonymous {method} {path}: {anonymous.status_code}, documented {sorted(documented)}")
        if (as_customer.status_code == 403) != ("403" in documented):
            mismatches.append(f"customer {method} {path}: {as_customer.status_code}, documented {sorted(documented)}")
    print(f"\nAuthorisation matrix: {len(operations)} operations, {calls} calls, {len(mismatches)} mismatches")
    assert not mismatches, "\n".join(mismatches)


# The path parameters of every operation: which object of another customer each one names.
# Catalog objects are public, and an auth user is only ever reached by an admin.
PUBLIC_OR_ADMIN_ONLY = {"category_id", "product_id", "user_id"}


def _owned_objects(stack: Stack, http: requests.Session, owner: dict[str, str]) -> dict[str, str]:
    """Give `owner` one of everything a customer owns: an account, a paid order, its payment and bank
    transaction, and a notification. Return their ids by path parameter name."""
    account = shop.funded_account(stack, http, owner, 5_000)
    order = shop.order(stack, http, owner, shop.product(stack, http, price=1_000, stock=5), 1).json()
    paid = http.post(
        f"{stack.url}/orders/api/orders/{order['id']}/pay/",
        json={"account_id": account},
        headers=shop.keyed(owner),
        timeout=15,
    ).json()
    assert paid["status"] == "paid", paid
    payments = http.get(f"{stack.url}/payments/api/payments/?order_id={order['id']}", headers=owner, timeout=10)
    statement = http.get(f"{stack.url}/bank/api/accounts/{account}/transactions/", headers=owner, timeout=10)

    def notified() -> dict[str, Any] | None:
        body = http.get(f"{stack.url}/notifications/api/notifications/", headers=owner, timeout=10).json()
        return body if body["results"] else None

    inbox = poll_until(notified, timeout=20, interval=0.3, message="a notification")
    return {
        "account_id": account,
        "order_id": str(order["id"]),
        "payment_id": str(payments.json()["results"][0]["id"]),
        "transaction_id": str(statement.json()["results"][0]["transaction_id"]),
        "notification_id": str(inbox["results"][0]["id"]),
    }


def test_a_customer_naming_another_customers_objects_gets_404_and_changes_nothing(
    stack: Stack, http: requests.Session
) -> None:
    alice, mallory = shop.customer(stack, http), shop.customer(stack, http)
    objects = _owned_objects(stack, http, alice)
    before = {path: http.get(stack.url + path, headers=alice, timeout=10).json() for path in _views(objects)}
    checked, mismatches = 0, []
    for method, path, documented, _ in _operations(stack, http):
        names = _PARAMETER.findall(path)
        if not names:
            continue
        unknown = {name.strip("{}") for name in names} - objects.keys() - PUBLIC_OR_ADMIN_ONLY
        assert not unknown, f"{method} {path}: say whose object {unknown} names"
        if any(name.strip("{}") not in objects for name in names):
            continue
        url = stack.url + _PARAMETER.sub(lambda match: objects[match.group(0).strip("{}")], path)
        body: dict[str, Any] | None = {"account_id": objects["account_id"]} if method == "POST" else None
        answer = http.request(method, url, json=body, headers=shop.keyed(mallory), timeout=15)
        # Staff-only operations refuse a customer before looking anything up (the matrix above).
        expected = 403 if "403" in documented and answer.status_code == 403 else 404
        checked += 1
        if answer.status_code != expected:
            mismatches.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
        if method == "GET" and http.get(url, headers=alice, timeout=10).status_code != 200:
            mismatches.append(f"{method} {path}: the owner cannot read it either, so it proves nothing")

    # Objects named in a body: a transfer out of her account, a payment from it.
    mallory_account = shop.funded_account(stack, http, mallory, 100)
    transfer = http.post(
        f"{stack.url}/bank/api/transfers/",
        json={"source_account_id": objects["account_id"], "target_account_id": mallory_account, "amount": 100},
        headers=shop.keyed(mallory),
        timeout=10,
    )
    mallory_order = shop.order(stack, http, mallory, shop.product(stack, http, price=300, stock=1), 1).json()
    pay = http.post(
        f"{stack.url}/orders/api/orders/{mallory_order['id']}/pay/",
        json={"account_id": objects["account_id"]},
        headers=shop.keyed(mallory),
        timeout=15,
    )
    checked += 2
    if transfer.status_code != 404:
        mismatches.append(f"transfer from her account: {transfer.status_code} {transfer.text[:200]}")
    # Declined as the bank answers for an account that is not hers: the same as one that does not exist.
    if pay.status_code != 402 or pay.json()["code"] != "account_not_found":
        mismatches.append(f"paid from her account: {pay.status_code} {pay.text[:200]}")
    after = {path: http.get(stack.url + path, headers=alice, timeout=10).json() for path in _views(objects)}
    print(f"\nOwnership: {checked} calls on another customer's objects, {len(mismatches)} mismatches")
    assert not mismatches, "\n".join(mismatches)
    assert after == before, "another customer's calls changed her objects"


def _views(objects: dict[str, str]) -> list[str]:
    return [
        f"/bank/api/accounts/{objects['account_id']}/",
        f"/orders/api/orders/{objects['order_id']}/",
        f"/payments/api/payments/{objects['payment_id']}/",
        f"/notifications/api/notifications/{objects['notification_id']}/",
    ]
