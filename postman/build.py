"""Writes shop.postman_collection.json: the whole story through the gateway, each step with its tests.

The collection is generated so that it stays readable here; `make postman` rebuilds it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JSON = [{"key": "Content-Type", "value": "application/json"}]


def bearer(token: str) -> list[dict[str, str]]:
    return [{"key": "Authorization", "value": f"Bearer {{{{{token}}}}}"}]


KEYED = [{"key": "Idempotency-Key", "value": "{{$guid}}"}]


def step(
    name: str,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    headers: list[dict[str, str]] | None = None,
    tests: list[str],
    prerequest: list[str] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "header": (JSON if body is not None else []) + (headers or []),
        "url": {"raw": "{{baseUrl}}" + path, "host": ["{{baseUrl}}"], "path": [p for p in path.split("/") if p]},
    }
    if path.endswith("/"):
        request["url"]["path"].append("")
    if body is not None:
        request["body"] = {"mode": "raw", "raw": json.dumps(body, indent=2), "options": {"raw": {"language": "json"}}}
    events = [{"listen": "test", "script": {"type": "text/javascript", "exec": tests}}]
    if prerequest:
        events.insert(0, {"listen": "prerequest", "script": {"type": "text/javascript", "exec": prerequest}})
    return {"name": name, "event": events, "request": request}


def status(code: int) -> str:
    return f'pm.test("status {code}", () => pm.response.to.have.status({code}));'


def transfer_between_own_accounts(name: str, *, tests: list[str]) -> dict[str, Any]:
    """15.00 from the first account to the second, with a new Idempotency-Key."""
    return step(
        name,
        "POST",
        "/bank/api/transfers/",
        headers=bearer("access") + KEYED,
        body={"source_account_id": "{{accountId}}", "target_account_id": "{{savingsId}}", "amount": 1500},
        tests=tests,
    )


STEPS = [
    step(
        "Register",
        "POST",
        "/auth/api/register/",
        prerequest=['pm.collectionVariables.set("email", `postman-${Date.now()}-${_.random(1e6)}@example.com`);'],
        body={"email": "{{email}}", "password": "a-long-postman-passphrase", "full_name": "Postman"},
        tests=[
            status(201),
            "const body = pm.response.json();",
            'pm.test("a customer with a token pair, the address not yet verified", () => {',
            '  pm.expect(body.user.email).to.eql(pm.collectionVariables.get("email"));',
            '  pm.expect(body.user.roles).to.eql(["customer"]);',
            "  pm.expect(body.user.email_verified).to.eql(false);",
            "  pm.expect(body.access).to.be.a('string'); pm.expect(body.refresh).to.be.a('string');",
            "});",
            'pm.collectionVariables.set("userId", body.user.id);',
        ],
    ),
    step(
        "Log in",
        "POST",
        "/auth/api/token/",
        body={"email": "{{email}}", "password": "a-long-postman-passphrase"},
        tests=[
            status(200),
            "const body = pm.response.json();",
            'pm.collectionVariables.set("access", body.access);',
            'pm.collectionVariables.set("refresh", body.refresh);',
        ],
    ),
    step(
        "Refresh (the refresh token rotates)",
        "POST",
        "/auth/api/token/refresh/",
        body={"refresh": "{{refresh}}"},
        tests=[
            status(200),
            "const body = pm.response.json();",
            'pm.test("a new pair", () => pm.expect(body.refresh).to.not.eql(pm.collectionVariables.get("refresh")));',
            'pm.collectionVariables.set("oldRefresh", pm.collectionVariables.get("refresh"));',
            'pm.collectionVariables.set("access", body.access);',
            'pm.collectionVariables.set("refresh", body.refresh);',
        ],
    ),
    step(
        "Profile",
        "GET",
        "/auth/api/me/",
        headers=bearer("access"),
        tests=[
            status(200),
            'pm.test("it is me", () => pm.expect(pm.response.json().id).to.eql(pm.collectionVariables.get("userId")));',
        ],
    ),
    step(
        "Open an account",
        "POST",
        "/bank/api/accounts/",
        headers=bearer("access"),
        body={"currency": "EUR"},
        tests=[
            status(201),
            "const body = pm.response.json();",
            'pm.test("empty and active", () => {',
            '  pm.expect(body.balance).to.eql(0); pm.expect(body.status).to.eql("active");',
            "});",
            'pm.collectionVariables.set("accountId", body.id);',
        ],
    ),
    step(
        "Staff: sign in",
        "POST",
        "/auth/api/token/",
        body={"email": "{{adminEmail}}", "password": "{{adminPassword}}"},
        tests=[status(200), 'pm.collectionVariables.set("adminAccess", pm.response.json().access);'],
    ),
    step(
        "Staff: deposit 100.00",
        "POST",
        "/bank/api/deposits/",
        headers=bearer("adminAccess") + KEYED,
        body={"account_id": "{{accountId}}", "amount": 10000, "description": "opening deposit"},
        tests=[
            status(201),
            'pm.test("a deposit of two postings", () => {',
            '  const body = pm.response.json(); pm.expect(body.kind).to.eql("deposit");',
            "  pm.expect(body.postings.reduce((sum, p) => sum + p.amount, 0)).to.eql(0);",
            "});",
        ],
    ),
    step(
        "Open a second account",
        "POST",
        "/bank/api/accounts/",
        headers=bearer("access"),
        body={"currency": "EUR"},
        tests=[status(201), 'pm.collectionVariables.set("savingsId", pm.response.json().id);'],
    ),
    transfer_between_own_accounts(
        "A transfer before the address is verified is refused",
        tests=[
            status(403),
            'pm.test("email_not_verified", () => pm.expect(pm.response.json().code).to.eql("email_not_verified"));',
        ],
    ),
    step(
        "Staff: mark the address verified (a customer sends the emailed code to /auth/api/email/verify/)",
        "PATCH",
        "/auth/api/users/{{userId}}/",
        headers=bearer("adminAccess"),
        body={"email_verified": True},
        tests=[status(200), 'pm.test("verified", () => pm.expect(pm.response.json().email_verified).to.eql(true));'],
    ),
    step(
        "Refresh: the new access token says the address is verified",
        "POST",
        "/auth/api/token/refresh/",
        body={"refresh": "{{refresh}}"},
        tests=[
            status(200),
            "const body = pm.response.json();",
            "const claims = JSON.parse(atob(body.access.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));",
            'pm.test("email_verified in the token", () => pm.expect(claims.email_verified).to.eql(true));',
            'pm.collectionVariables.set("access", body.access);',
            'pm.collectionVariables.set("refresh", body.refresh);',
        ],
    ),
    transfer_between_own_accounts(
        "Transfer 15.00",
        tests=[status(201), 'pm.test("a transfer", () => pm.expect(pm.response.json().kind).to.eql("transfer"));'],
    ),
    step(
        "Products",
        "GET",
        "/catalog/api/products/?search=roast&ordering=price",
        tests=[
            status(200),
            "const body = pm.response.json();",
            'pm.test("the demo catalog", () => pm.expect(body.count).to.be.above(0));',
            'pm.collectionVariables.set("productId", body.results[0].id);',
            'pm.collectionVariables.set("price", body.results[0].price);',
        ],
    ),
    step(
        "Order",
        "POST",
        "/orders/api/orders/",
        headers=bearer("access") + KEYED,
        body={"items": [{"product_id": "{{productId}}", "quantity": 1}], "shipping_address": "1 Main St"},
        tests=[
            status(201),
            "const body = pm.response.json();",
            'pm.test("pending, priced by the catalog", () => {',
            '  pm.expect(body.status).to.eql("pending");',
            '  pm.expect(body.total).to.eql(Number(pm.collectionVariables.get("price")));',
            "});",
            'pm.collectionVariables.set("orderId", body.id);',
        ],
    ),
    step(
        "Open an empty account",
        "POST",
        "/bank/api/accounts/",
        headers=bearer("access"),
        body={"currency": "EUR"},
        tests=[status(201), 'pm.collectionVariables.set("emptyId", pm.response.json().id);'],
    ),
    step(
        "Pay from the empty account: declined",
        "POST",
        "/orders/api/orders/{{orderId}}/pay/",
        headers=bearer("access") + KEYED,
        body={"account_id": "{{emptyId}}"},
        tests=[
            status(402),
            "const body = pm.response.json();",
            'pm.test("insufficient_funds, the order still pending", () => {',
            '  pm.expect(body.code).to.eql("insufficient_funds");',
            '  pm.expect(body.order.status).to.eql("pending");',
            '  pm.expect(body.order.payment.error_code).to.eql("insufficient_funds");',
            "});",
        ],
    ),
    step(
        "Pay",
        "POST",
        "/orders/api/orders/{{orderId}}/pay/",
        headers=bearer("access") + KEYED,
        body={"account_id": "{{accountId}}"},
        tests=[
            status(200),
            "const body = pm.response.json();",
            'pm.test("paid", () => pm.expect(body.status).to.eql("paid"));',
            'pm.collectionVariables.set("paymentId", body.payment.paid_payment_id);',
        ],
    ),
    step(
        "Payments",
        "GET",
        "/payments/api/payments/?order_id={{orderId}}",
        headers=bearer("access"),
        tests=[
            status(200),
            'pm.test("the declined attempt and one succeeded payment", () => {',
            "  const statuses = pm.response.json().results.map((p) => p.status).sort();",
            '  pm.expect(statuses).to.eql(["failed", "succeeded"]);',
            "});",
        ],
    ),
    step(
        "Notifications",
        "GET",
        "/notifications/api/notifications/",
        headers=bearer("access"),
        prerequest=["// Events travel asynchronously: give them a moment.", "setTimeout(() => {}, 2000);"],
        tests=[
            status(200),
            'pm.test("some arrived", () => pm.expect(pm.response.json().count).to.be.above(0));',
        ],
    ),
    step(
        "Cancel: the paid order is refunded",
        "POST",
        "/orders/api/orders/{{orderId}}/cancel/",
        headers=bearer("access") + KEYED,
        body={"reason": "changed my mind"},
        tests=[status(200), 'pm.test("refunded", () => pm.expect(pm.response.json().status).to.eql("refunded"));'],
    ),
    step(
        "The money is back",
        "GET",
        "/bank/api/accounts/{{accountId}}/",
        headers=bearer("access"),
        tests=[status(200), 'pm.test("100.00 - 15.00", () => pm.expect(pm.response.json().balance).to.eql(8500));'],
    ),
    step(
        "Forgot the password: a code is emailed",
        "POST",
        "/auth/api/password/reset/",
        body={"email": "{{email}}"},
        tests=[
            status(202),
            'pm.collectionVariables.set("resetAnswer", pm.response.text());',
        ],
    ),
    step(
        "An unknown address gets the very same answer",
        "POST",
        "/auth/api/password/reset/",
        body={"email": "nobody-{{$guid}}@example.com"},
        tests=[
            status(202),
            'pm.test("the same body", () => {',
            '  pm.expect(pm.response.text()).to.eql(pm.collectionVariables.get("resetAnswer"));',
            "});",
        ],
    ),
    step(
        "A wrong reset code is refused (the right one is in the email)",
        "POST",
        "/auth/api/password/reset/confirm/",
        body={"email": "{{email}}", "code": "000000", "new_password": "another-long-postman-passphrase"},
        tests=[
            status(400),
            'pm.test("invalid_code", () => pm.expect(pm.response.json().code).to.eql("invalid_code"));',
        ],
    ),
    step(
        "Log out everywhere",
        "POST",
        "/auth/api/logout/",
        headers=bearer("access"),
        body={"all": True},
        tests=[status(204)],
    ),
    step(
        "A revoked refresh token is refused",
        "POST",
        "/auth/api/token/refresh/",
        body={"refresh": "{{refresh}}"},
        tests=[
            status(401),
            'pm.test("the error shape", () => {',
            '  pm.expect(pm.response.json()).to.have.keys("code", "message", "fields", "request_id");',
            "});",
        ],
    ),
]

COLLECTION = {
    "info": {
        "name": "Shop: the whole story",
        "description": "Register, sign in, bank, catalog, order, pay, refund and sign out, through the gateway. "
        "Set baseUrl, adminEmail and adminPassword in the environment.",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "item": STEPS,
    "variable": [],
}

ENVIRONMENT = {
    "name": "Shop (make run)",
    "values": [
        {"key": "baseUrl", "value": "http://127.0.0.1:8080", "enabled": True},
        {"key": "adminEmail", "value": "admin@example.com", "enabled": True},
        {"key": "adminPassword", "value": "demo-admin-password-1", "enabled": True},
    ],
}

if __name__ == "__main__":
    (HERE / "shop.postman_collection.json").write_text(json.dumps(COLLECTION, indent=2) + "\n")
    (HERE / "shop.postman_environment.json").write_text(json.dumps(ENVIRONMENT, indent=2) + "\n")
