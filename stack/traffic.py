"""Shoppers for a launched stack: customers with funded accounts, products, and the event backlog.

Shared by the benchmarks (`bench/run.py`) and the load and fault tests (`e2e/test_load_and_faults.py`),
which both drive the stack through its gateway and read its databases to check what it did.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import requests

from stack import db
from stack.services import SERVICES

DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
PASSWORD = "a-long-load-passphrase-1"


def post(url: str, body: Mapping[str, object], token: str | None = None, *, timeout: float = 30) -> dict[str, Any]:
    """POST with a fresh Idempotency-Key (and a bearer token); raise unless the answer is 2xx."""
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.post(url, json=body, headers=headers, timeout=timeout)
    response.raise_for_status()
    return dict(response.json())


def sign_in(base_url: str, email: str, password: str) -> str:
    """An access token for an existing user."""
    return str(post(f"{base_url}/auth/api/token/", {"email": email, "password": password})["access"])


@dataclass(frozen=True)
class Customer:
    """A registered user with one account of their own."""

    email: str
    user_id: str
    token: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def funded_customer(
    base_url: str, *, staff_token: str, deposit: int, currency: str = "EUR", label: str = "shopper"
) -> Customer:
    """Register a user (its address marked verified by staff), open an account in `currency`, fund it with `deposit`."""
    email = f"{label}-{uuid.uuid4().hex[:12]}@example.com"
    registered = post(f"{base_url}/auth/api/register/", {"email": email, "password": PASSWORD})
    token = verified_token(base_url, user_id=str(registered["user"]["id"]), refresh=str(registered["refresh"]),
                           staff_token=staff_token)  # fmt: skip
    account = post(f"{base_url}/bank/api/accounts/", {"currency": currency}, token)
    if deposit:
        post(f"{base_url}/bank/api/deposits/", {"account_id": account["id"], "amount": deposit}, staff_token)
    user = registered["user"]
    assert isinstance(user, dict)
    return Customer(email=email, user_id=str(user["id"]), token=token, account_id=str(account["id"]))


def verified_token(base_url: str, *, user_id: str, refresh: str, staff_token: str) -> str:
    """Have an administrator mark a user's address verified (moving money needs it); return a token saying so."""
    marked = requests.patch(
        f"{base_url}/auth/api/users/{user_id}/",
        json={"email_verified": True},
        headers={"Authorization": f"Bearer {staff_token}"},
        timeout=30,
    )
    marked.raise_for_status()
    return str(post(f"{base_url}/auth/api/token/refresh/", {"refresh": refresh})["access"])


def product(base_url: str, *, staff_token: str, name: str, price: int, stock: int, currency: str = "EUR") -> str:
    """Add a product (staff); return its id."""
    body = {"name": name, "sku": f"P-{uuid.uuid4().hex[:16]}", "price": price, "currency": currency, "stock": stock}
    return str(post(f"{base_url}/catalog/api/products/", body, staff_token)["id"])


def database(name: str, *, suffix: str, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A connection to one service's database of the stack with this suffix, as that service's role."""
    service = next(candidate for candidate in SERVICES if candidate.name == name)
    return psycopg.connect(db.database_url(service, suffix=suffix), autocommit=autocommit)


PRODUCERS = tuple(service.name for service in SERVICES if any(name.endswith("-relay") for name, _ in service.workers))
CONSUMERS = tuple(
    service.name for service in SERVICES if any(name.endswith("-consumer") for name, _ in service.workers)
)


def pending_events(*, suffix: str, broker_url: str | None = None) -> int:
    """Events not yet through: outbox rows not published, plus messages waiting in the consumers' queues."""
    import kombu

    pending = 0
    for name in PRODUCERS:
        with database(name, suffix=suffix) as connection:
            row = connection.execute(
                "SELECT count(*) FROM servicekit_outboxevent WHERE published_at IS NULL"
            ).fetchone()
            pending += int(row[0]) if row else 0
    url = broker_url or os.environ.get("BROKER_URL", DEFAULT_BROKER_URL)
    with kombu.Connection(url, connect_timeout=5) as broker:
        channel = broker.channel()
        for name in CONSUMERS:
            pending += int(channel.queue_declare(f"{name}{suffix}", passive=True).message_count)
    return pending


def drain_events(*, suffix: str, broker_url: str | None = None, timeout: float = 120) -> bool:
    """Wait until every producer's outbox is published and every consumer's queue is empty.

    Returns False (and says so) if the backlog did not drain in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pending_events(suffix=suffix, broker_url=broker_url) == 0:
            return True
        time.sleep(0.5)
    print("warning: the event backlog did not drain in time", flush=True)
    return False
