"""The shop through its gateway, as its customers and staff use it: register, verify, sign in, open and
fund accounts, add products, place, pay and cancel orders, move money.

The one driver of a running shop for the end-to-end tests, the load and fault tests and the
benchmarks. Every request goes through `send`, so a client that retries or records its requests
(the load tests') changes that method alone. Money-moving requests carry an Idempotency-Key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

PASSWORD = "a-long-load-passphrase-1"


class UnexpectedAnswer(AssertionError):
    """The shop answered a request of a set-up step with a status the step does not expect."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        super().__init__(f"{response.request.method} {response.url}: {response.status_code} {response.text[:2000]}")


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of an access token."""
    return {"Authorization": f"Bearer {token}"}


def new_email(label: str) -> str:
    """An address no one has registered yet."""
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


@dataclass(frozen=True)
class Customer:
    """A registered user (its address verified) with one account of their own."""

    email: str
    user_id: str
    token: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


class ShopClient:
    """Requests to the shop at `url` (its gateway), on one session."""

    def __init__(
        self, url: str, session: requests.Session | None = None, *, timeout: float | tuple[float, float] = 30
    ) -> None:
        self.url = url
        self.session = session or requests.Session()
        self.timeout = timeout

    def send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        body: Mapping[str, object] | None = None,
        token: str | None = None,
        key: str | None = None,
    ) -> requests.Response:
        """One request; `operation` names it ("order", "pay"...) for a client that records its requests."""
        headers = bearer(token) if token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.session.request(method, f"{self.url}{path}", json=body, headers=headers, timeout=self.timeout)

    def call(self, method: str, path: str, *, expect: int, **options: Any) -> dict[str, Any]:
        """A request of a set-up step: its JSON body, or UnexpectedAnswer unless the status is `expect`."""
        response = self.send(method, path, operation=path, **options)
        if response.status_code != expect:
            raise UnexpectedAnswer(response)
        return dict(response.json())

    # --- People ---

    def register(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """Register a user; return the answer (`user`, `access`, `refresh`)."""
        return self.call("POST", "/auth/api/register/", expect=201, body={"email": email, "password": password})

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Sign in; return the tokens (`access`, `refresh`)."""
        return self.call("POST", "/auth/api/token/", expect=200, body={"email": email, "password": password})

    def refresh(self, refresh: str) -> dict[str, Any]:
        return self.call("POST", "/auth/api/token/refresh/", expect=200, body={"refresh": refresh})

    def verify(self, user_id: str, refresh: str, *, staff_token: str) -> str:
        """Have staff mark a user's address verified (moving money needs it); return a token of the user saying so."""
        self.call("PATCH", f"/auth/api/users/{user_id}/", expect=200, body={"email_verified": True}, token=staff_token)
        return str(self.refresh(refresh)["access"])

    def verified_user(
        self, *, staff_token: str, label: str = "shopper", password: str = PASSWORD
    ) -> tuple[str, str, str]:
        """Register a new user and have staff verify its address; return its email, id and access token."""
        email = new_email(label)
        registered = self.register(email, password)
        user_id = str(registered["user"]["id"])
        return email, user_id, self.verify(user_id, str(registered["refresh"]), staff_token=staff_token)

    # --- Money ---

    def open_account(self, token: str, currency: str = "EUR") -> str:
        """Open an account of the user's own; return its id."""
        return str(self.call("POST", "/bank/api/accounts/", expect=201, body={"currency": currency}, token=token)["id"])

    def deposit(self, staff_token: str, account_id: str, amount: int) -> dict[str, Any]:
        """Staff put cash into an account."""
        body = {"account_id": account_id, "amount": amount}
        return self.call("POST", "/bank/api/deposits/", expect=201, body=body, token=staff_token, key=new_key())

    def withdraw(self, staff_token: str, account_id: str, amount: int) -> dict[str, Any]:
        """Staff pay cash out of an account."""
        body = {"account_id": account_id, "amount": amount}
        return self.call("POST", "/bank/api/withdrawals/", expect=201, body=body, token=staff_token, key=new_key())

    def balance(self, token: str, account_id: str) -> int:
        return int(self.call("GET", f"/bank/api/accounts/{account_id}/", expect=200, token=token)["balance"])

    def funded_customer(
        self, *, staff_token: str, deposit: int, currency: str = "EUR", label: str = "shopper"
    ) -> Customer:
        """A new verified user with an account in `currency` that staff funded with `deposit`."""
        email, user_id, token = self.verified_user(staff_token=staff_token, label=label)
        account_id = self.open_account(token, currency)
        if deposit:
            self.deposit(staff_token, account_id, deposit)
        return Customer(email=email, user_id=user_id, token=token, account_id=account_id)

    def transfer(self, token: str, source: str, target: str, amount: int, *, key: str) -> requests.Response:
        body = {"source_account_id": source, "target_account_id": target, "amount": amount}
        return self.send("POST", "/bank/api/transfers/", operation="transfer", body=body, token=token, key=key)

    # --- Products and orders ---

    def add_product(
        self, staff_token: str, *, name: str, price: int, stock: int, currency: str = "EUR", **more: object
    ) -> dict[str, Any]:
        """Staff add a product (with a fresh SKU unless `more` names one); return it."""
        body = {"name": name, "sku": f"P-{uuid.uuid4().hex[:16]}", "price": price, "currency": currency,
                "stock": stock, **more}  # fmt: skip
        return self.call("POST", "/catalog/api/products/", expect=201, body=body, token=staff_token, key=new_key())

    def stock(self, token: str, product_id: str) -> int:
        return int(self.call("GET", f"/catalog/api/products/{product_id}/", expect=200, token=token)["stock"])

    def place_order(
        self, token: str, items: list[dict[str, Any]], *, key: str | None = None, **more: object
    ) -> requests.Response:
        """Order `items` (product_id, quantity); the answer, whatever it is."""
        body = {"items": items, **more}
        return self.send("POST", "/orders/api/orders/", operation="order", body=body, token=token, key=key or new_key())

    def pay(self, token: str, order_id: str, account_id: str, *, key: str | None = None) -> requests.Response:
        """Pay an order from an account; the answer, whatever it is."""
        path = f"/orders/api/orders/{order_id}/pay/"
        body = {"account_id": account_id}
        return self.send("POST", path, operation="pay", body=body, token=token, key=key or new_key())

    def cancel(self, token: str, order_id: str, *, key: str | None = None) -> requests.Response:
        path = f"/orders/api/orders/{order_id}/cancel/"
        return self.send("POST", path, operation="cancel", body={}, token=token, key=key or new_key())


def new_key() -> str:
    """A fresh Idempotency-Key."""
    return uuid.uuid4().hex


def error_code(response: requests.Response) -> str:
    """The `code` of an error answer's body ("" where there is none)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""
