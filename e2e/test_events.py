"""Events end to end: outbox, relay, RabbitMQ, the notification consumer, the inbox and email."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path
from typing import Any

import requests

from e2e import shop
from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, polled
from servicekit.waiting import poll_until
from stack import processes


def _register(stack: Stack, http: requests.Session) -> dict[str, Any]:
    email = f"events-{uuid.uuid4().hex[:12]}@example.com"
    response = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": email, "password": "a-long-e2e-passphrase", "full_name": "Eve"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    access = shop.verify(stack, http, body["user"]["id"], body["refresh"])  # moving money needs it
    return {"email": email, "headers": {"Authorization": f"Bearer {access}"}}


def _inbox(stack: Stack, http: requests.Session, user: dict[str, Any], *, count: int) -> list[dict[str, Any]]:
    """Poll the user's inbox until it holds `count` notifications (events travel asynchronously)."""
    body = polled(
        lambda: http.get(f"{stack.url}/notifications/api/notifications/", headers=user["headers"], timeout=10).json(),
        lambda body: body["count"] >= count,
        timeout=20,
    )
    return list(body["results"])


def test_a_registration_reaches_the_inbox_and_the_mailbox(stack: Stack, http: requests.Session, mail_dir: Path) -> None:
    user = _register(stack, http)
    [welcome] = _inbox(stack, http, user, count=1)
    assert welcome["type"] == "user.registered" and welcome["title"] == "Welcome to the shop"
    assert welcome["is_read"] is False
    poll_until(
        lambda: any(user["email"] in path.read_text() for path in mail_dir.iterdir()),
        timeout=10,
        interval=0.2,
        message="an email to be written",
    )
    read = http.post(
        f"{stack.url}/notifications/api/notifications/{welcome['id']}/read/", headers=user["headers"], timeout=10
    )
    assert read.json()["is_read"] is True


def test_a_transfer_notifies_both_sides(stack: Stack, http: requests.Session) -> None:
    alice, bob = _register(stack, http), _register(stack, http)
    admin = http.post(
        f"{stack.url}/auth/api/token/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    ).json()["access"]
    accounts = []
    for user in (alice, bob):
        response = http.post(
            f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=user["headers"], timeout=10
        )
        accounts.append(response.json()["id"])
    deposit = http.post(
        f"{stack.url}/bank/api/deposits/",
        json={"account_id": accounts[0], "amount": 5000},
        headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert deposit.status_code == 201
    transfer = http.post(
        f"{stack.url}/bank/api/transfers/",
        json={"source_account_id": accounts[0], "target_account_id": accounts[1], "amount": 1234},
        headers={**alice["headers"], "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert transfer.status_code == 201

    alices = _inbox(stack, http, alice, count=3)
    assert [item["title"] for item in alices] == [
        "You sent 12.34 EUR",
        "Deposit received: 50.00 EUR",
        "Welcome to the shop",
    ]
    bobs = _inbox(stack, http, bob, count=2)
    assert bobs[0]["title"] == "You received 12.34 EUR"
    assert bobs[0]["data"]["transaction_id"] == transfer.json()["id"]


def test_readiness_includes_the_broker(stack: Stack, http: requests.Session) -> None:
    for name in ("auth", "bank", "notifications"):
        body = http.get(f"{stack.url}/{name}/ready/", timeout=10).json()
        assert body["checks"] == {"database": "ok", "broker": "ok"}, name


def _auth_relays(stack: Stack) -> set[int]:
    """The pids of this stack's processes running auth's relay."""
    runner = processes.runner_of(stack.run_dir)
    return {pid for pid in processes.tree(runner) if processes.label(pid) == "auth relay_events"}


def test_a_relay_that_dies_is_started_again_and_its_events_still_go_out(stack: Stack, http: requests.Session) -> None:
    [relay] = _auth_relays(stack)
    os.kill(relay, signal.SIGKILL)
    relays = poll_until(
        lambda: _auth_relays(stack) - {relay}, timeout=20, interval=0.2, message="the relay to be started again"
    )
    assert len(relays) == 1
    # A registration's event leaves through the new relay and reaches the inbox.
    user = _register(stack, http)
    [welcome] = _inbox(stack, http, user, count=1)
    assert welcome["type"] == "user.registered"
