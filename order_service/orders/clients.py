"""The catalog and payment_service as an order calls them: with this service's token, timeouts and
idempotency by order id or payment id, so every call is safe to repeat.

Each answer comes back as a frozen dataclass whose statuses are enums; a refusal is servicekit's
`Refused`, whose `code` the enums below name; anything else (an outage, a time-out, an answer
that cannot be read) is `ServiceUnavailable`: no answer yet, ask again later.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

from servicekit.http import ServiceClient, ServiceUnavailable, read_answer

RESERVATIONS = "/catalog/internal/reservations/"
PAYMENTS = "/payments/internal/payments/"

T = TypeVar("T")


class ReservationStatus(StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"

    @property
    def holds_stock(self) -> bool:
        """Whether the catalog still keeps the stock for the order (not given back, by a release or expiry)."""
        return self in (ReservationStatus.HELD, ReservationStatus.COMMITTED)


class CatalogRefusal(StrEnum):
    """Why the catalog refused a reservation call (its answer's `code`)."""

    UNKNOWN_PRODUCTS = "unknown_products"
    INSUFFICIENT_STOCK = "insufficient_stock"
    MIXED_CURRENCIES = "mixed_currencies"
    RESERVATION_MISMATCH = "reservation_mismatch"
    RESERVATION_NOT_HELD = "reservation_not_held"


@dataclass(frozen=True)
class ReservedLine:
    product_id: uuid.UUID
    sku: str
    name: str
    quantity: int
    unit_price: int
    currency: str


@dataclass(frozen=True)
class Reservation:
    """Stock the catalog holds for an order, with the catalog's names and prices."""

    id: uuid.UUID
    order_id: uuid.UUID
    status: ReservationStatus
    expires_at: datetime
    lines: tuple[ReservedLine, ...]

    @property
    def total(self) -> int:
        return sum(line.unit_price * line.quantity for line in self.lines)


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"

    @property
    def paid(self) -> bool:
        """The money was taken (and may have gone back since): the order was paid by it."""
        return self in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


class PaymentsRefusal(StrEnum):
    """Why payment_service refused a call (its answer's `code`)."""

    PAYMENT_MISMATCH = "payment_mismatch"
    NOT_REFUNDABLE = "not_refundable"
    # The bank refused the refund for now (a frozen account, say): payments keeps it requested and
    # tries it again, so the money may still go back.
    REFUND_KEPT_REQUESTED = "refund_refused"


@dataclass(frozen=True)
class Payment:
    """An attempt to pay an order, as payment_service tells it.

    `failure_code` and `failure_reason` say why a failed one failed, in the bank's own words,
    passed on to the customer as they came.
    """

    id: uuid.UUID
    status: PaymentStatus
    failure_code: str = ""
    failure_reason: str = ""


def _catalog() -> ServiceClient:
    return ServiceClient(settings.CATALOG_INTERNAL_URL)


def _payments() -> ServiceClient:
    return ServiceClient(settings.PAYMENTS_INTERNAL_URL)


def _read(response: requests.Response, parse: Callable[[dict[str, Any]], T]) -> T:
    """The answer parsed by `parse`; an answer that cannot be read is no answer (ServiceUnavailable)."""
    body = read_answer(response)
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError) as error:
        raise ServiceUnavailable("A service answered with a body this service cannot read.") from error


def _reservation(body: dict[str, Any]) -> Reservation:
    expires_at = parse_datetime(str(body["expires_at"]))
    if expires_at is None:
        raise ValueError(f"not a datetime: {body['expires_at']!r}")
    return Reservation(
        id=uuid.UUID(str(body["id"])),
        order_id=uuid.UUID(str(body["order_id"])),
        status=ReservationStatus(body["status"]),
        expires_at=expires_at,
        lines=tuple(
            ReservedLine(
                product_id=uuid.UUID(str(line["product_id"])),
                sku=str(line["sku"]),
                name=str(line["name"]),
                quantity=int(line["quantity"]),
                unit_price=int(line["unit_price"]),
                currency=str(line["currency"]),
            )
            for line in body["lines"]
        ),
    )


def _payment(body: dict[str, Any]) -> Payment:
    return Payment(
        id=uuid.UUID(str(body["id"])),
        status=PaymentStatus(body["status"]),
        failure_code=str(body.get("failure_code") or ""),
        failure_reason=str(body.get("failure_reason") or ""),
    )


def reservation_create(order_id: uuid.UUID, items: Iterable[dict[str, Any]]) -> Reservation:
    """Hold stock for every line (all or none); answers the lines with the catalog's names and prices."""
    lines = [{"product_id": str(item["product_id"]), "quantity": item["quantity"]} for item in items]
    response = _catalog().request(
        "POST", RESERVATIONS, as_service=True, json={"order_id": str(order_id), "lines": lines}
    )
    return _read(response, _reservation)


def reservation_get(order_id: uuid.UUID) -> Reservation | None:
    """The order's reservation, or None when the catalog has none."""
    response = _catalog().request("GET", f"{RESERVATIONS}{order_id}/", as_service=True)
    return None if response.status_code == 404 else _read(response, _reservation)


def reservation_commit(order_id: uuid.UUID) -> Reservation:
    """The order is paid: its stock leaves for good (refused when the reservation is no longer held)."""
    return _read(_catalog().request("POST", f"{RESERVATIONS}{order_id}/commit/", as_service=True), _reservation)


def reservation_release(order_id: uuid.UUID) -> Reservation | None:
    """Give the order's stock back; None when the catalog has no reservation for it."""
    response = _catalog().request("POST", f"{RESERVATIONS}{order_id}/release/", as_service=True)
    return None if response.status_code == 404 else _read(response, _reservation)


def payment_charge(
    *, payment_id: uuid.UUID, order_id: uuid.UUID, user_id: uuid.UUID, account_id: uuid.UUID, amount: int,
    currency: str,
) -> Payment:  # fmt: skip
    """Ask payment_service to charge the order (idempotent by `payment_id`); it answers succeeded or failed."""
    body = {
        "payment_id": str(payment_id),
        "order_id": str(order_id),
        "user_id": str(user_id),
        "account_id": str(account_id),
        "amount": amount,
        "currency": currency,
    }
    return _read(_payments().request("POST", PAYMENTS, as_service=True, json=body), _payment)


def payment_refund(payment_id: uuid.UUID) -> Payment:
    """Ask payment_service to refund a payment in full; a retry never refunds twice."""
    return _read(_payments().request("POST", f"{PAYMENTS}{payment_id}/refund/", as_service=True), _payment)
