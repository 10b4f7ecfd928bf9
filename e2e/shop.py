"""The shop's actors through the gateway, as the end-to-end tests name them: customers and staff as
Authorization headers, on the stack's one driver (stack.client), and the Postman collection run by newman.
"""

from __future__ import annotations

import subprocess
from typing import Any, Protocol

import requests

from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from stack.client import ShopClient, bearer, new_email, new_key
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


def _client(stack: Stack, http: requests.Session) -> ShopClient:
    return ShopClient(stack.url, http, timeout=15)


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def customer(stack: Stack, http: requests.Session, *, verified: bool = True) -> dict[str, str]:
    """Register a new customer (its address verified, as staff may mark it); return its Authorization header."""
    body = _client(stack, http).register(new_email("shopper"), "a-long-e2e-passphrase")
    if not verified:
        return bearer(body["access"])
    return bearer(verify(stack, http, body["user"]["id"], body["refresh"]))


def verify(stack: Stack, http: requests.Session, user_id: str, refresh: str) -> str:
    """Have staff mark a user's address verified; return a new access token of the user that says so."""
    return _client(stack, http).verify(user_id, refresh, staff_token=_token(staff(stack, http)))


def keyed(headers: dict[str, str]) -> dict[str, str]:
    """The headers with a new Idempotency-Key."""
    return {**headers, "Idempotency-Key": new_key()}


def staff(stack: Stack, http: requests.Session) -> dict[str, str]:
    """The Authorization header of the demo admin."""
    return bearer(_client(stack, http).sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)["access"])


def funded_account(stack: Stack, http: requests.Session, owner: dict[str, str], amount: int) -> str:
    """Open a EUR account for `owner` and have staff deposit `amount` into it; return its id."""
    client = _client(stack, http)
    account_id = client.open_account(_token(owner))
    if amount:
        client.deposit(_token(staff(stack, http)), account_id, amount)
    return account_id


def product(stack: Stack, http: requests.Session, *, price: int, stock: int) -> str:
    """Have staff create a EUR product; return its id."""
    staff_token = _token(staff(stack, http))
    return str(_client(stack, http).add_product(staff_token, name="Checkout kettle", price=price, stock=stock)["id"])


def stock(stack: Stack, http: requests.Session, product_id: str) -> int:
    return _client(stack, http).stock(_token(staff(stack, http)), product_id)


def balance(stack: Stack, http: requests.Session, owner: dict[str, str], account_id: str) -> int:
    return _client(stack, http).balance(_token(owner), account_id)


def order(stack: Stack, http: requests.Session, owner: dict[str, str], product_id: str, quantity: int) -> Any:
    """Place an order of one line; return the response."""
    items = [{"product_id": product_id, "quantity": quantity}]
    return _client(stack, http).place_order(_token(owner), items, shipping_address="1 Main St")


def order_items(stack: Stack, http: requests.Session, owner: dict[str, str], items: list[dict[str, Any]]) -> Any:
    """Place an order of these lines (product_id, quantity), with no shipping address; return the response."""
    return _client(stack, http).place_order(_token(owner), items)


def cancel(stack: Stack, http: requests.Session, owner: dict[str, str], order_id: str) -> Any:
    """Cancel an order (a refund, if it was paid), with a new Idempotency-Key; return the response."""
    return _client(stack, http).cancel(_token(owner), order_id)


def pay(stack: Stack, http: requests.Session, owner: dict[str, str], order_id: str, account_id: str) -> Any:
    """Pay an order from an account, with a new Idempotency-Key; return the response."""
    return ShopClient(stack.url, http).pay(_token(owner), order_id, account_id)
