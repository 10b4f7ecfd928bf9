"""Money through the gateway: accounts, a staff deposit, an idempotent transfer, the statement."""

from __future__ import annotations

import uuid

import requests

from e2e import shop
from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, issue_service_token, register_service_client


def _bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _register(stack: Stack, http: requests.Session) -> str:
    response = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"bank-{uuid.uuid4().hex}@example.com", "password": "a-long-e2e-passphrase"},
        timeout=10,
    )
    assert response.status_code == 201
    body = response.json()
    return shop.verify(stack, http, body["user"]["id"], body["refresh"])  # moving money needs it


def test_deposit_transfer_and_statement(stack: Stack, http: requests.Session) -> None:
    admin = http.post(
        f"{stack.url}/auth/api/token/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    ).json()["access"]
    alice, bob = _register(stack, http), _register(stack, http)
    alices = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=_bearer(alice), timeout=5)
    bobs = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=_bearer(bob), timeout=5)
    assert alices.status_code == bobs.status_code == 201
    source, target = alices.json()["id"], bobs.json()["id"]

    deposit = http.post(
        f"{stack.url}/bank/api/deposits/",
        json={"account_id": source, "amount": 5_000},
        headers=_bearer(admin, uuid.uuid4().hex),
        timeout=10,
    )
    assert deposit.status_code == 201, deposit.text
    refused = http.post(
        f"{stack.url}/bank/api/deposits/",
        json={"account_id": source, "amount": 5_000},
        headers=_bearer(alice, uuid.uuid4().hex),
        timeout=10,
    )
    assert refused.status_code == 403

    key = uuid.uuid4().hex
    body = {"source_account_id": source, "target_account_id": target, "amount": 1_250, "description": "rent"}
    first = http.post(f"{stack.url}/bank/api/transfers/", json=body, headers=_bearer(alice, key), timeout=10)
    replay = http.post(f"{stack.url}/bank/api/transfers/", json=body, headers=_bearer(alice, key), timeout=10)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]

    statement = http.get(f"{stack.url}/bank/api/accounts/{source}/transactions/", headers=_bearer(alice), timeout=5)
    lines = statement.json()["results"]
    assert [(line["kind"], line["amount"], line["balance_after"]) for line in lines] == [
        ("transfer", -1_250, 3_750),
        ("deposit", 5_000, 5_000),
    ]
    assert http.get(f"{stack.url}/bank/api/accounts/{source}/", headers=_bearer(bob), timeout=5).status_code == 404
    assert "ledger ok" in stack.manage("bank", "verify_ledger")


def test_a_service_charges_and_refunds_on_the_private_network(stack: Stack, http: requests.Session) -> None:
    secret = register_service_client(stack, "e2e-payments", "bank:transfer")
    service_token = issue_service_token(stack, http, "e2e-payments", secret).json()["access_token"]
    admin = http.post(
        f"{stack.url}/auth/api/token/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    ).json()["access"]
    customer = _register(stack, http)
    user_id = http.get(f"{stack.url}/auth/api/me/", headers=_bearer(customer), timeout=5).json()["id"]
    account = http.post(
        f"{stack.url}/bank/api/accounts/", json={"currency": "USD"}, headers=_bearer(customer), timeout=5
    )
    account_id = account.json()["id"]
    http.post(
        f"{stack.url}/bank/api/deposits/",
        json={"account_id": account_id, "amount": 1_000},
        headers=_bearer(admin, uuid.uuid4().hex),
        timeout=10,
    )

    internal = f"{stack.service_url('bank')}/bank/internal/movements/"
    charge = {"kind": "payment", "account_id": account_id, "user_id": user_id, "amount": 400}
    charged = http.post(internal, json=charge, headers=_bearer(service_token, "payment-e2e-1"), timeout=10)
    assert charged.status_code == 201, charged.text
    assert charged.json()["actor_service"] == "e2e-payments"
    refund = {**charge, "kind": "refund", "amount": 150}
    assert (
        http.post(internal, json=refund, headers=_bearer(service_token, "refund-e2e-1"), timeout=10).status_code == 201
    )
    balance = http.get(f"{stack.url}/bank/api/accounts/{account_id}/", headers=_bearer(customer), timeout=5)
    assert balance.json()["balance"] == 750
    # A user's token is refused there, and the gateway does not route it at all.
    assert http.post(internal, json=charge, headers=_bearer(customer, "x1"), timeout=10).status_code == 401
    via_gateway = http.post(
        f"{stack.url}/bank/internal/movements/", json=charge, headers=_bearer(service_token, "x2"), timeout=10
    )
    assert via_gateway.status_code == 404
