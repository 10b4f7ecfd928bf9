import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.stubs import StubRequest, json_server

ALICE = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
BOB = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")


def _segments(path: str) -> list[str]:
    return [part for part in path.split("?")[0].split("/") if part]


class Catalog:
    """A stand-in for the catalog's reservation API, idempotent by order id like the real one."""

    def __init__(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.reservations: dict[str, dict[str, Any]] = {}
        self.down = False
        self.lock = threading.Lock()
        self.on_reserve: Callable[[], None] | None = None  # runs as a reservation request arrives

    def add(self, *, price: int = 1250, stock: int = 10, currency: str = "EUR") -> str:
        product_id = str(uuid.uuid4())
        self.products[product_id] = {"sku": f"SKU-{product_id[:6]}", "name": "Beans", "price": price,
                                     "currency": currency, "stock": stock}  # fmt: skip
        return product_id

    def __call__(self, request: StubRequest) -> tuple[int, Any]:
        if self.down:
            return 503, {"code": "service_unavailable"}
        parts = _segments(request.path)  # catalog internal reservations [order_id] [action]
        if request.method == "POST" and len(parts) == 3 and self.on_reserve is not None:
            self.on_reserve()
        with self.lock:
            if request.method == "POST" and len(parts) == 3:
                return self._reserve(request.body)
            reservation = self.reservations.get(parts[3])
            if reservation is None:
                return 404, {"code": "not_found"}
            if request.method == "GET":
                return 200, reservation
            if parts[4] == "commit":
                if reservation["status"] in ("released", "expired"):
                    return 409, {"code": "reservation_not_held", "message": "not held"}
                reservation["status"] = "committed"
            elif reservation["status"] in ("held", "committed"):
                for line in reservation["lines"]:
                    self.products[line["product_id"]]["stock"] += line["quantity"]
                reservation["status"] = "released"
            return 200, reservation

    def _reserve(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body["order_id"] in self.reservations:
            return 200, self.reservations[body["order_id"]]
        unknown = [line["product_id"] for line in body["lines"] if line["product_id"] not in self.products]
        if unknown:
            return 400, {"code": "unknown_products", "message": "unknown", "fields": {"product_ids": unknown}}
        short = {line["product_id"]: self.products[line["product_id"]]["stock"] for line in body["lines"]
                 if self.products[line["product_id"]]["stock"] < line["quantity"]}  # fmt: skip
        if short:
            return 409, {"code": "insufficient_stock", "message": "Not enough stock.", "fields": {"available": short}}
        lines = []
        for line in body["lines"]:
            product = self.products[line["product_id"]]
            product["stock"] -= line["quantity"]
            lines.append({"product_id": line["product_id"], "sku": product["sku"], "name": product["name"],
                          "quantity": line["quantity"], "unit_price": product["price"],
                          "currency": product["currency"]})  # fmt: skip
        expires = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
        reservation = {"id": str(uuid.uuid4()), "order_id": body["order_id"], "status": "held",
                       "expires_at": expires, "lines": lines}  # fmt: skip
        self.reservations[body["order_id"]] = reservation
        return 201, reservation


class Payments:
    """A stand-in for payment_service's internal API: idempotent by payment id."""

    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.outcome = "succeeded"
        self.down = False
        self.delay = 0.0
        self.charges = 0
        self.refunds = 0  # refunds made, each payment at most once
        # A refusal code for refunds: "refund_refused" (the bank, for now) or "not_refundable"; nothing is refunded.
        self.refuse_refunds: str | None = None
        self.on_refund: Callable[[str], None] | None = None  # runs while a refund request is being answered

    def __call__(self, request: StubRequest) -> tuple[int, Any]:
        if self.delay:
            threading.Event().wait(self.delay)
        if self.down:
            return 503, {"code": "service_unavailable"}
        parts = _segments(request.path)  # payments internal payments [id] [refund]
        if request.method == "POST" and len(parts) == 3:
            body = request.body
            if body["payment_id"] not in self.payments:
                self.charges += 1
                failed = self.outcome != "succeeded"
                self.payments[body["payment_id"]] = {
                    "id": body["payment_id"], "order_id": body["order_id"], "status": self.outcome,
                    "amount": body["amount"], "account_id": body["account_id"],
                    "failure_code": "insufficient_funds" if failed else "",
                    "failure_reason": "The account's balance is too low for this amount." if failed else "",
                }  # fmt: skip
            return 201, self.payments[body["payment_id"]]
        payment = self.payments.get(parts[3])
        if payment is None:
            return 404, {"code": "not_found"}
        if request.method == "POST":  # refund
            if self.on_refund is not None:
                self.on_refund(parts[3])
            if self.refuse_refunds:
                return 409, {"code": self.refuse_refunds, "message": "The refund was refused."}
            if payment["status"] != "refunded":
                self.refunds += 1
            payment["status"] = "refunded"
        return 200, payment


@pytest.fixture
def catalog(settings: Any, service_identity: Any) -> Iterator[Catalog]:
    stub = Catalog()
    with json_server(stub) as server:
        settings.CATALOG_INTERNAL_URL = server.url
        yield stub


@pytest.fixture
def payments(settings: Any, service_identity: Any) -> Iterator[Payments]:
    stub = Payments()
    with json_server(stub) as server:
        settings.PAYMENTS_INTERNAL_URL = server.url
        yield stub
