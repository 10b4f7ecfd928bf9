"""The bank as payments calls it: movements keyed by the payment, so every call is safe to repeat.

A charge is keyed `payment:<payment id>` and a refund `refund:<payment id>`: the bank makes one
movement per key and answers the same one to every repeat, so the same call sent again after a
crash or a lost answer finds the movement already made and never moves money twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

import requests
from django.conf import settings

from servicekit.http import STILL_WORKING, Refused, ServiceClient, ServiceUnavailable, json_body, read_answer
from servicekit.waiting import poll_until

MOVEMENTS = "/bank/internal/movements/"


class MovementKind(StrEnum):
    """Which way a movement goes: from the customer's account to the merchant, or back."""

    PAYMENT = "payment"
    REFUND = "refund"


class BankRefusal(StrEnum):
    """Why the bank refused a movement (its answer's `code`); OTHER for a code this service does not know."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    ACCOUNT_NOT_ACTIVE = "account_not_active"
    ACCOUNT_NOT_FOUND = "account_not_found"
    CURRENCY_MISMATCH = "currency_mismatch"
    INVALID = "validation_error"
    OTHER = "refused"

    @classmethod
    def of(cls, code: str) -> BankRefusal:
        return cls(code) if code in cls._value2member_map_ else cls.OTHER


@dataclass(frozen=True)
class BankAnswer:
    """What the bank did: `transaction_id` when it moved the money, else its refusal.

    `code` and `message` are the bank's own words for a refusal, kept as they came: a declined
    payment tells the customer exactly what the bank said.
    """

    transaction_id: uuid.UUID | None
    refusal: BankRefusal | None = None
    code: str = ""
    message: str = ""

    @property
    def moved(self) -> bool:
        return self.transaction_id is not None


def charge_key(payment_id: uuid.UUID) -> str:
    return f"payment:{payment_id}"


def refund_key(payment_id: uuid.UUID) -> str:
    return f"refund:{payment_id}"


def _client() -> ServiceClient:
    return ServiceClient(settings.BANK_INTERNAL_URL)


def movement_create(
    *,
    kind: MovementKind,
    key: str,
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    amount: int,
    currency: str,
    note: str,
) -> BankAnswer:
    """Ask the bank for a payment or refund movement under `key`; the same key never moves money twice.

    A refusal (insufficient funds, a frozen, foreign or missing account, another currency) is an
    answer. While the bank is still working on the same key (the same call sent at once by two
    requests), it is asked again for up to PAYMENTS_BANK_BUSY_WAIT seconds: once the first is done
    it answers that very movement. An outage, or a key still busy after that, raises
    ServiceUnavailable: the caller leaves the payment as it is and tries again later.
    """
    body = {
        "kind": kind.value,
        "account_id": str(account_id),
        "user_id": str(user_id),
        "amount": amount,
        "currency": currency,
        "description": note[:200],
    }

    def send() -> tuple[requests.Response] | None:
        # In a tuple: a response to a 4xx is falsy itself, and a refusal is an answer too.
        response = _client().request("POST", MOVEMENTS, as_service=True, idempotency_key=key, json=body)
        busy = response.status_code == 409 and json_body(response).get("code") == STILL_WORKING
        return None if busy else (response,)

    try:
        (response,) = poll_until(
            send, timeout=settings.PAYMENTS_BANK_BUSY_WAIT, interval=0.1, message=f"the bank to finish {key}"
        )
    except TimeoutError as error:
        raise ServiceUnavailable("The bank is still processing this payment; try again shortly.") from error
    return _answer(response)


def _answer(response: requests.Response) -> BankAnswer:
    """The bank's answer as a BankAnswer: a 4xx it gives for the movement itself is a refusal."""
    try:
        body = read_answer(response, refusals=(400, 404, 409, 422))
    except Refused as refused:
        if refused.status_code == 404:
            return BankAnswer(
                None, BankRefusal.ACCOUNT_NOT_FOUND, "account_not_found", "The account does not exist or is not yours."
            )
        return BankAnswer(
            None, BankRefusal.of(refused.code), refused.code, refused.message or "The bank refused the payment."
        )
    try:
        return BankAnswer(transaction_id=uuid.UUID(str(body["id"])))
    except (KeyError, ValueError) as error:
        raise ServiceUnavailable("The bank answered without a transaction.") from error
