"""The catalog and payment_service as an order calls them: with this service's token, timeouts and
idempotency by order id or payment id, so every call is safe to repeat."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings

from orders.errors import Refused
from servicekit.http import ServiceClient, ServiceUnavailable

RESERVATIONS = "/catalog/internal/reservations/"
PAYMENTS = "/payments/internal/payments/"


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _answer(response: Any, *, refusals: tuple[int, ...] = (400, 409)) -> dict[str, Any]:
    """The body of a 2xx; a refusal the client can act on passes through; anything else is a 503."""
    body = _json(response)
    if 200 <= response.status_code < 300:
        return body
    if response.status_code in refusals:
        raise Refused(
            response.status_code, str(body.get("code", "refused")), str(body.get("message", "")), body.get("fields")
        )
    raise ServiceUnavailable(f"A service answered {response.status_code}.")


def _catalog() -> ServiceClient:
    return ServiceClient(settings.CATALOG_INTERNAL_URL)


def _payments() -> ServiceClient:
    return ServiceClient(settings.PAYMENTS_INTERNAL_URL)


def reserve(order_id: uuid.UUID, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Hold stock for every line (all or none); answers the lines with the catalog's names and prices."""
    lines = [{"product_id": str(item["product_id"]), "quantity": item["quantity"]} for item in items]
    response = _catalog().request(
        "POST", RESERVATIONS, as_service=True, json={"order_id": str(order_id), "lines": lines}
    )
    return _answer(response)


def reservation(order_id: uuid.UUID) -> dict[str, Any] | None:
    response = _catalog().request("GET", f"{RESERVATIONS}{order_id}/", as_service=True)
    return None if response.status_code == 404 else _answer(response)


def commit_reservation(order_id: uuid.UUID) -> dict[str, Any]:
    return _answer(_catalog().request("POST", f"{RESERVATIONS}{order_id}/commit/", as_service=True))


def release_reservation(order_id: uuid.UUID) -> dict[str, Any] | None:
    response = _catalog().request("POST", f"{RESERVATIONS}{order_id}/release/", as_service=True)
    return None if response.status_code == 404 else _answer(response)


def charge(*, payment_id: uuid.UUID, order: Any, account_id: uuid.UUID) -> dict[str, Any]:
    """Ask payment_service to charge the order; the answer's `status` is succeeded or failed."""
    body = {
        "payment_id": str(payment_id),
        "order_id": str(order.id),
        "user_id": str(order.user_id),
        "account_id": str(account_id),
        "amount": order.total,
        "currency": order.currency,
    }
    return _answer(_payments().request("POST", PAYMENTS, as_service=True, json=body))


def payment(payment_id: uuid.UUID) -> dict[str, Any] | None:
    response = _payments().request("GET", f"{PAYMENTS}{payment_id}/", as_service=True)
    return None if response.status_code == 404 else _answer(response)


def refund(payment_id: uuid.UUID) -> dict[str, Any]:
    return _answer(_payments().request("POST", f"{PAYMENTS}{payment_id}/refund/", as_service=True))
