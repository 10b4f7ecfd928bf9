"""What must hold of money, orders, payments, stock and events after the load and its faults, read from
every service's database and compared with what the clients were told."""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from e2e.load.recording import Fault
from e2e.load.traffic import Books, Catalog
from servicekit.waiting import poll_until
from stack.db import rows
from stack.events import EventFigures, event_figures, events_between
from stack.launch import LaunchedStack


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Checks:
    """Checks as they are made: each passes when it found no problem."""

    made: list[Check] = field(default_factory=list)

    def check(self, name: str, problems: Iterable[Any], detail: str = "") -> None:
        found = list(problems)
        self.made.append(Check(name, not found, _sample(found) if found else detail))


def _sample(items: list[Any], limit: int = 5) -> str:
    return f"{len(items)}: {', '.join(map(str, items[:limit]))}{' ...' if len(items) > limit else ''}"


def money_invariants(
    stack: LaunchedStack, books: Books, catalog: Catalog, *, suffix: str, phases: Iterable[str]
) -> list[Check]:
    """Everything that must hold of money, orders, payments and stock, read from the databases."""
    checks = Checks()
    verified = ""
    try:
        verified = stack.manage("bank", "verify_ledger").strip()
    except Exception as error:  # a non-zero exit is the finding
        verified = f"FAILED: {getattr(error, 'stderr', error)}"
    checks.made.append(Check("verify_ledger passes", verified.startswith("ledger ok"), verified))
    accounts = rows("bank", suffix, "SELECT id::text, kind, system_code, currency, balance FROM ledger_account")
    _ledger(checks, books, accounts, suffix)
    orders = {
        row[0]: row
        for row in rows(
            "orders", suffix,
            "SELECT id::text, status, total, paid_payment_id::text, payment_started_at IS NOT NULL,"
            " reservation_committed, reservation_released FROM orders_order",
        )
    }  # fmt: skip
    merchant = sum(balance for _, _, code, _, balance in accounts if code == "merchant_revenue")
    _payments(checks, books, orders, merchant, suffix)
    _stock(checks, books, catalog, orders, suffix, phases)
    return checks.made


def _ledger(checks: Checks, books: Books, accounts: list[tuple[Any, ...]], suffix: str) -> None:
    """The bank's own books: balanced, and what the clients and staff were told."""
    total = sum(balance for *_, balance in accounts)
    sums = {currency: sum(b for *_, c, b in accounts if c == currency) for currency in {a[3] for a in accounts}}
    checks.check("every currency's balances, system accounts included, sum to zero",
                 [f"{currency}: {value}" for currency, value in sums.items() if value != 0],
                 f"{len(accounts)} accounts, sum {total}")  # fmt: skip
    customers = sum(balance for _, kind, *_, balance in accounts if kind == "customer")
    merchant = sum(balance for _, _, code, _, balance in accounts if code == "merchant_revenue")
    cash = sum(balance for _, _, code, _, balance in accounts if code == "external_cash")
    expected = books.deposited - books.withdrawn
    checks.check(
        "customer balances + merchant revenue = deposits - withdrawals",
        [f"{customers} + {merchant} != {expected}"] if customers + merchant != expected or -cash != expected else [],
        f"{customers:,} + {merchant:,} = {books.deposited:,} - {books.withdrawn:,} (external cash {cash:,})",
    )
    cash_movements = dict(
        rows(
            "bank", suffix,
            "SELECT t.kind, sum(p.amount) FROM ledger_transaction t JOIN ledger_posting p ON p.transaction_id = t.id"
            " JOIN ledger_account a ON a.id = p.account_id"
            " WHERE a.kind = 'customer' AND t.kind IN ('deposit', 'withdrawal') GROUP BY t.kind",
        )
    )  # fmt: skip
    checks.check("the ledger's deposits and withdrawals are exactly the ones staff made",
                 [] if (cash_movements.get("deposit"), -(cash_movements.get("withdrawal") or 0))
                 == (books.deposited, books.withdrawn) else [f"ledger {cash_movements}"],
                 f"{books.deposited:,} deposited, {books.withdrawn:,} withdrawn")  # fmt: skip
    keys = Counter(
        key for (key,) in rows("bank", suffix, "SELECT idempotency_key FROM ledger_transaction WHERE kind = 'transfer'")
    )
    checks.check("every transfer a client was told about is in the ledger exactly once, and no other",
                 [f"{key} x{count}" for key, count in keys.items() if count != 1]
                 + [f"{key} missing" for key in books.transfers - set(keys)]
                 + [f"{key} never confirmed" for key in set(keys) - books.transfers],
                 f"{len(books.transfers):,} transfers")  # fmt: skip
    balances = {account: balance for account, kind, *_, balance in accounts if kind == "customer"}
    known = {account: value for account, value in books.balances.items() if account not in books.unknown}
    checks.check(
        "every customer's balance is what their client was told",
        [f"{account}: bank {balances.get(account)} != client {value}" for account, value in known.items()
         if balances.get(account) != value],
        f"{len(known)} of {len(books.balances)} accounts determinable, all equal",
    )  # fmt: skip


def _payments(checks: Checks, books: Books, orders: dict[str, tuple[Any, ...]], merchant: int, suffix: str) -> None:
    """One charge per paid order, one refund per refunded one, and every order as its client was told."""
    payments = rows(
        "payments", suffix,
        "SELECT id::text, order_id::text, status, amount, bank_transaction_id::text, refund_transaction_id::text"
        " FROM payments_payment",
    )  # fmt: skip
    movements = rows(
        "bank", suffix,
        "SELECT t.id::text, t.kind, t.idempotency_key, sum(p.amount) FILTER (WHERE a.kind = 'customer')"
        " FROM ledger_transaction t JOIN ledger_posting p ON p.transaction_id = t.id"
        " JOIN ledger_account a ON a.id = p.account_id WHERE t.kind IN ('payment', 'refund') GROUP BY t.id",
    )  # fmt: skip
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for transaction_id, _kind, key, customer_leg in movements:
        by_key[key].append((transaction_id, int(customer_leg)))
    successful = [p for p in payments if p[2] in ("succeeded", "refunded")]
    per_order = Counter(p[1] for p in successful)
    paid_orders = [o for o in orders.values() if o[1] in ("paid", "fulfilled", "refunded")]
    checks.check("every paid, fulfilled or refunded order has exactly one successful payment, its own",
                 [o[0] for o in paid_orders if per_order[o[0]] != 1
                  or not any(p[0] == o[3] and p[1] == o[0] and p[3] == o[2] for p in successful)],
                 f"{len(paid_orders)} orders")  # fmt: skip
    checks.check("every successful payment has exactly one bank charge, of its amount, with its key",
                 [p[0] for p in successful if by_key.get(f"payment:{p[0]}") != [(p[4], -p[3])]],
                 f"{len(successful)} payments")  # fmt: skip
    payment_ids = {p[0]: p for p in payments}
    checks.check("every bank charge and refund belongs to a payment that succeeded",
                 [key for key in by_key if key.split(":", 1)[1] not in payment_ids
                  or payment_ids[key.split(":", 1)[1]][2] not in ("succeeded", "refunded")],
                 f"{len(movements)} bank movements")  # fmt: skip
    checks.check("every refunded payment has exactly one bank refund; no other payment has one",
                 [p[0] for p in payments if (by_key.get(f"refund:{p[0]}") == [(p[5], p[3])]) != (p[2] == "refunded")],
                 f"{sum(p[2] == 'refunded' for p in payments)} refunds")  # fmt: skip
    checks.check("no successful payment without a paid order (refunded with refunded)",
                 [p[0] for p in successful if p[1] not in orders
                  or orders[p[1]][1] not in (("refunded",) if p[2] == "refunded" else ("paid", "fulfilled"))],
                 f"{len(successful)} payments")  # fmt: skip
    checks.check("no payment left pending, no order with a payment in flight",
                 [p[0] for p in payments if p[2] == "pending"] + [o[0] for o in orders.values() if o[4]])  # fmt: skip
    told = {order: status for order, status in books.orders.items() if status != "unknown"}
    checks.check("every order is in the state its client was told",
                 [f"{order}: {status} != {orders.get(order, ('', 'missing'))[1]}" for order, status in told.items()
                  if orders.get(order, ("", "missing"))[1] != status],
                 f"{len(told)} orders")  # fmt: skip
    expected = sum(p[3] for p in payments if p[2] == "succeeded")
    checks.check("merchant revenue = the succeeded, unrefunded payments",
                 [f"{merchant} != {expected}"] if merchant != expected else [], f"{merchant:,}")  # fmt: skip


def _stock(
    checks: Checks, books: Books, catalog: Catalog, orders: dict[str, tuple[Any, ...]], suffix: str,
    phases: Iterable[str],
) -> None:  # fmt: skip
    """No stock made or lost: what is left and what is held or sold add up to what there was."""
    stock = dict(rows("catalog", suffix, "SELECT id::text, stock FROM products_product"))
    held = rows(
        "catalog", suffix,
        "SELECT r.order_id::text, r.status, l.product_id::text, l.quantity FROM products_reservation r"
        " JOIN products_reservationline l ON l.reservation_id = r.id",
    )  # fmt: skip
    out: Counter[str] = Counter()
    for _order, status, product, quantity in held:
        if status in ("held", "committed"):
            out[product] += quantity
    checks.check("no product's stock is negative", [p for p, units in stock.items() if units < 0],
                 f"{len(stock)} products")  # fmt: skip
    checks.check("stock + units held or sold = the stock the product started with",
                 [f"{p}: {stock[p]} + {out[p]} != {initial}" for p, initial in catalog.initial_stock.items()
                  if stock[p] + out[p] != initial], f"{len(catalog.initial_stock)} products")  # fmt: skip
    reservation = {order: status for order, status, *_ in held}
    allowed = {"paid": {"committed"}, "fulfilled": {"committed"}, "refunded": {"released"},
               "cancelled": {"released", "expired"}, "pending": {"held"}}  # fmt: skip
    checks.check("every order's stock is committed (paid), released (cancelled, refunded) or held (pending)",
                 [f"{o[0]} {o[1]}: {reservation.get(o[0])}" for o in orders.values()
                  if reservation.get(o[0]) not in allowed[o[1]]], f"{len(orders)} orders")  # fmt: skip
    checks.check(
        "no stock is held or sold for an order that does not exist",
        {order for order, status, *_ in held if status in ("held", "committed") and order not in orders},
    )
    scarce = [product for phase, product in catalog.scarce.items() if phase in phases]
    checks.check("every phase's scarce product ran out: orders were refused for lack of stock",
                 [p for p in scarce if not books.sold_out[p]],
                 f"{sum(books.sold_out[p] for p in scarce)} orders refused for {len(scarce)} products")  # fmt: skip


def transfer_notifications(suffix: str) -> tuple[int, int]:
    """(notifications of completed transfers, transfers): two notifications, one per side, for each."""
    [(notified,)] = rows(
        "notifications", suffix,
        "SELECT count(*) FROM notifications_notification WHERE event_type = 'transfer.completed'",
    )  # fmt: skip
    [(transfers,)] = rows("bank", suffix, "SELECT count(*) FROM ledger_transaction WHERE kind = 'transfer'")
    return int(notified), int(transfers)


def notifications_twice(suffix: str) -> list[tuple[str, str]]:
    """(event, person) pairs notified more than once: an event its consumer handled twice."""
    return [
        (str(event), str(user))
        for event, user in rows(
            "notifications", suffix,
            "SELECT event_id, user_id FROM notifications_notification GROUP BY 1, 2 HAVING count(*) > 1",
        )
    ]  # fmt: skip


def wait_for_reconcilers(suffix: str, timeout: float = 30) -> None:
    """Until no order has a payment in flight or uncommitted stock, and no payment is pending (or time runs out)."""

    def settled() -> bool:
        [(open_orders,)] = rows(
            "orders", suffix,
            "SELECT count(*) FROM orders_order WHERE payment_started_at IS NOT NULL"
            " OR (status IN ('paid', 'fulfilled') AND NOT reservation_committed)"
            " OR (status IN ('cancelled', 'refunded') AND NOT reservation_released)",
        )  # fmt: skip
        [(pending,)] = rows("payments", suffix, "SELECT count(*) FROM payments_payment WHERE status = 'pending'")
        return open_orders == pending == 0

    with contextlib.suppress(TimeoutError):  # the invariants say what was left
        poll_until(settled, timeout=timeout, interval=0.5, message="the reconcilers to settle every order")


def wait_for_events(suffix: str, consumers: dict[str, set[str]], timeout: float = 60) -> EventFigures:
    """The event figures once nothing is lost or unpublished (or as they are when time runs out)."""
    latest: list[EventFigures] = []

    def through() -> bool:
        latest[:] = [event_figures(suffix=suffix, consumers=consumers)]
        return not latest[0].lost and not latest[0].unpublished

    with contextlib.suppress(TimeoutError):  # the figures say what was lost
        poll_until(through, timeout=timeout, interval=0.5, message="every event to be delivered")
    return latest[0]


def outage_checks(suffix: str, faults: list[Fault], consumers: dict[str, set[str]]) -> list[Check]:
    """Every event written while the broker was away was published, and delivered, once it was back."""
    checks = []
    for fault in faults:
        if "window" not in fault.notes:
            continue
        cut, restored = fault.notes.pop("window")
        window = events_between(suffix, cut, restored, consumers)
        published = (window.last_published - restored).total_seconds() if window.last_published else float("nan")
        received = (window.last_received - restored).total_seconds() if window.last_received else float("nan")
        fault.notes["events"] = (
            f"{window.events} written during it, {window.expected} deliveries owed to consumers, {window.delivered}"
            f" made, {window.expected - window.delivered} lost; the last published {published:.1f} s and the last"
            f" delivered {received:.1f} s after the broker was back"
        )
        checks.append(Check(
            f"every event written during the {fault.name} was published and delivered once it was back",
            window.events > 0 and window.unpublished == 0 and window.delivered == window.expected,
            f"{window.events} written, {window.delivered} of {window.expected} deliveries made; the last published "
            f"{published:.1f} s and the last delivered {received:.1f} s after the broker was back",
        ))  # fmt: skip
    return checks
