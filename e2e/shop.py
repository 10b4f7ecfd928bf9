"""The shop's actors through the gateway: customers, staff, funded accounts, products and orders."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any, Protocol

import requests

from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from stack.services import REPO_ROOT

POSTMAN = REPO_ROOT / "postman"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"


class Stack(Protocol):
    """A running shop, native or in containers: where its gateway answers."""

    @property
    def url(self) -> str: ...


def newman(stack: Stack) -> subprocess.CompletedProcess[str]:
    """Run the Postman collection with newman against the stack's gateway, as the demo admin for staff steps."""
    assert NEWMAN.exists(), "newman is not installed: run `make postman-tools` (make test does)"
    return subprocess.run(
        [
            str(NEWMAN), "run", str(POSTMAN / "shop.postman_collection.json"),
            "--environment", str(POSTMAN / "shop.postman_environment.json"),
            "--env-var", f"baseUrl={stack.url}",
            "--env-var", f"adminEmail={ADMIN_EMAIL}",
            "--env-var", f"adminPassword={ADMIN_PASSWORD}",
            "--reporters", "cli", "--color", "off", "--timeout-request", "20000",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def customer(stack: Stack, http: requests.Session, *, verified: bool = True) -> dict[str, str]:
    """Register a new customer (its address verified, as staff may mark it); return its Authorization header."""
    response = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"shopper-{uuid.uuid4().hex[:12]}@example.com", "password": "a-long-e2e-passphrase"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    if not verified:
        return {"Authorization": f"Bearer {body['access']}"}
    return {"Authorization": f"Bearer {verify(stack, http, body['user']['id'], body['refresh'])}"}


def verify(stack: Stack, http: requests.Session, user_id: str, refresh: str) -> str:
    """Have staff mark a user's address verified; return a new access token of the user that says so."""
    marked = http.patch(
        f"{stack.url}/auth/api/users/{user_id}/", json={"email_verified": True}, headers=staff(stack, http), timeout=10
    )
    assert marked.status_code == 200, marked.text
    refreshed = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": refresh}, timeout=10)
    assert refreshed.status_code == 200, refreshed.text
    return str(refreshed.json()["access"])


def keyed(headers: dict[str, str]) -> dict[str, str]:
    """The headers with a new Idempotency-Key."""
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


def staff(stack: Stack, http: requests.Session) -> dict[str, str]:
    """The Authorization header of the demo admin."""
    token = http.post(
        f"{stack.url}/auth/api/token/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    ).json()["access"]
    return {"Authorization": f"Bearer {token}"}


def funded_account(stack: Stack, http: requests.Session, owner: dict[str, str], amount: int) -> str:
    """Open a EUR account for `owner` and have staff deposit `amount` into it; return its id."""
    account = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=owner, timeout=10)
    account_id = str(account.json()["id"])
    if amount:
        deposit = http.post(
            f"{stack.url}/bank/api/deposits/",
            json={"account_id": account_id, "amount": amount},
            headers=keyed(staff(stack, http)),
            timeout=10,
        )
        assert deposit.status_code == 201
    return account_id


def product(stack: Stack, http: requests.Session, *, price: int, stock: int) -> str:
    """Have staff create a EUR product; return its id."""
    response = http.post(
        f"{stack.url}/catalog/api/products/",
        json={
            "name": "Checkout kettle",
            "sku": f"CK-{uuid.uuid4().hex[:10]}",
            "price": price,
            "currency": "EUR",
            "stock": stock,
        },
        headers=staff(stack, http),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def stock(stack: Stack, http: requests.Session, product_id: str) -> int:
    response = http.get(f"{stack.url}/catalog/api/products/{product_id}/", headers=staff(stack, http), timeout=10)
    return int(response.json()["stock"])


def balance(stack: Stack, http: requests.Session, owner: dict[str, str], account_id: str) -> int:
    return int(http.get(f"{stack.url}/bank/api/accounts/{account_id}/", headers=owner, timeout=10).json()["balance"])


def order(stack: Stack, http: requests.Session, owner: dict[str, str], product_id: str, quantity: int) -> Any:
    """Place an order of one line; return the response."""
    return http.post(
        f"{stack.url}/orders/api/orders/",
        json={"items": [{"product_id": product_id, "quantity": quantity}], "shipping_address": "1 Main St"},
        headers=keyed(owner),
        timeout=15,
    )


def pay(stack: Stack, http: requests.Session, owner: dict[str, str], order_id: str, account_id: str) -> Any:
    """Pay an order from an account, with a new Idempotency-Key; return the response."""
    return http.post(
        f"{stack.url}/orders/api/orders/{order_id}/pay/",
        json={"account_id": account_id},
        headers=keyed(owner),
        timeout=30,
    )
