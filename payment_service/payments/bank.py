"""The bank, as this service calls it: charges and refunds keyed by the payment, and lookups by key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from servicekit.http import ServiceClient, ServiceUnavailable

TRANSFERS = "/bank/internal/transfers/"


@dataclass(frozen=True)
class BankAnswer:
    """What the bank did: `transaction_id` when it moved the money, else its refusal."""

    transaction_id: str | None
    code: str = ""
    reason: str = ""


def _client() -> ServiceClient:
    return ServiceClient(settings.BANK_INTERNAL_URL)


def charge_key(payment_id: Any) -> str:
    return f"payment:{payment_id}"


def refund_key(payment_id: Any) -> str:
    return f"refund:{payment_id}"


def move(*, kind: str, key: str, account_id: Any, user_id: Any, amount: int, currency: str, note: str) -> BankAnswer:
    """Ask the bank for a payment or refund movement; the same key never moves money twice.

    A refusal (4xx: insufficient funds, a frozen or foreign account, another currency) is an
    answer; an outage or a key still being processed raises ServiceUnavailable, so the caller
    leaves the payment pending and tries again later.
    """
    response = _client().request(
        "POST",
        TRANSFERS,
        as_service=True,
        idempotency_key=key,
        json={
            "kind": kind,
            "account_id": str(account_id),
            "user_id": str(user_id),
            "amount": amount,
            "currency": currency,
            "description": note[:200],
        },
    )
    body = _json(response)
    if response.status_code in (200, 201):
        return BankAnswer(transaction_id=str(body["id"]))
    if response.status_code == 409 and body.get("code") == "idempotency_in_progress":
        raise ServiceUnavailable("The bank is still processing this payment; try again shortly.")
    if 400 <= response.status_code < 500 and response.status_code not in (401, 403):
        code = str(body.get("code", "refused"))
        if response.status_code == 404:
            return BankAnswer(None, "account_not_found", "The account does not exist or is not yours.")
        return BankAnswer(None, code, str(body.get("message", "The bank refused the payment.")))
    raise ServiceUnavailable(f"The bank answered {response.status_code}.")


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
