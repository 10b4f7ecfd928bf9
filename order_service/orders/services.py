"""The checkout saga: place an order (stock reserved), pay it (money charged once), cancel or refund it.

Every step that calls another service is keyed (the order id for the catalog, the payment id
for payments) and safe to repeat, and what this service knows is committed before and after
each call, so a crash anywhere leaves a state that a retry or `reconcile_orders` completes by
asking the owning service, never by guessing: never money taken without a paid order, never
stock held for an order that will not be paid.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders import clients
from orders.errors import (
    FreeOrder,
    InvalidTransition,
    OrderExpired,
    OrderTotalTooLarge,
    PaymentDeclined,
    PaymentInProgress,
    RefundInProgress,
    Refused,
    TooManyPendingOrders,
)
from orders.models import Order, OrderLine, OrderStatusChange
from servicekit.events import publish_event
from servicekit.http import ServiceUnavailable

logger = logging.getLogger(__name__)

S = Order.Status
MOVES: dict[str, set[str]] = {
    S.PENDING: {S.PAID, S.CANCELLED},
    S.PAID: {S.FULFILLED, S.REFUNDED},
    # Only through a staff refund in payment_service (a return after delivery), never a cancel.
    S.FULFILLED: {S.REFUNDED},
}


@dataclass(frozen=True)
class Actor:
    """Who moves an order: a customer, staff, or a part of the system (actor_id None)."""

    kind: str
    user_id: uuid.UUID | None = None


SYSTEM = Actor("system")


def _move(order: Order, to: str, actor: Actor, reason: str = "") -> None:
    """Change the status (the order must be locked), record who did it and why, and publish it."""
    if to not in MOVES.get(order.status, set()):
        raise InvalidTransition(f"An order that is {order.status} cannot become {to}.")
    OrderStatusChange.objects.create(
        order=order, from_status=order.status, to_status=to, actor=actor.kind, actor_id=actor.user_id, reason=reason
    )
    order.status = to
    order.save()
    publish_event(f"order.{to}", _event_data(order, reason), aggregate=f"order:{order.id}")


def _event_data(order: Order, reason: str = "") -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "user_id": str(order.user_id),
        "status": order.status,
        "total": order.total,
        "currency": order.currency,
        "lines": order.lines.count(),
        "reason": reason,
    }


def _locked(order_id: uuid.UUID) -> Order:
    return Order.objects.select_for_update().get(id=order_id)


def order_create(
    *,
    user_id: uuid.UUID,
    items: list[dict[str, Any]],
    shipping_address: str = "",
    note: str = "",
    order_id: uuid.UUID | None = None,
) -> Order:
    """Reserve the items in the catalog, then store the order as pending with the catalog's prices.

    `order_id`, derived from the request's Idempotency-Key, makes a retry after a lost answer
    reach the same reservation (the catalog is idempotent by order id) and the same order. So that
    no customer can hold the stock, an order is refused past ORDERS_MAX_PENDING_PER_CUSTOMER
    pending orders, and when its total is more than the bank can charge (BANK_MAX_AMOUNT).
    """
    order_id = order_id or uuid.uuid4()
    existing = Order.objects.filter(id=order_id, user_id=user_id).first()
    if existing is not None:
        return existing
    _refuse_past_pending_limit(user_id)  # early, so that a refused order never reaches the catalog
    reservation = clients.reserve(order_id, items)
    lines = reservation["lines"]
    total = sum(line["unit_price"] * line["quantity"] for line in lines)
    if total == 0:
        _release_quietly(order_id)
        raise FreeOrder()
    if total > settings.BANK_MAX_AMOUNT:
        # The bank would refuse every payment of it: refused now rather than holding stock unpayable.
        _release_quietly(order_id)
        raise OrderTotalTooLarge(
            f"The order's total, {total} in minor units, is more than one payment may be "
            f"({settings.BANK_MAX_AMOUNT}); order fewer items."
        )
    try:
        with transaction.atomic():
            _lock_placements_of(user_id)
            _refuse_past_pending_limit(user_id)
            order = Order.objects.create(
                id=order_id,
                user_id=user_id,
                currency=lines[0]["currency"],
                total=total,
                shipping_address=shipping_address,
                note=note,
                reservation_expires_at=_datetime(reservation["expires_at"]),
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    product_id=line["product_id"],
                    sku=line["sku"],
                    name=line["name"],
                    unit_price=line["unit_price"],
                    quantity=line["quantity"],
                )
                for line in lines
            )
            OrderStatusChange.objects.create(
                order=order, to_status=S.PENDING, actor="customer", actor_id=user_id, reason="placed"
            )
            publish_event("order.created", _event_data(order), aggregate=f"order:{order.id}")
    except Exception:
        _release_quietly(order_id)  # the order was not stored: give its stock back now
        raise
    return order


# The first key of the advisory locks that serialise one customer's order placements.
_PLACEMENTS_LOCK = 7_100_501


def _lock_placements_of(user_id: uuid.UUID) -> None:
    """Hold, until the transaction ends, the lock that one customer's order placements take in turn."""
    # Counting the pending orders and inserting the new one are two statements: under READ
    # COMMITTED two placements at once would each count the same free slot and both insert. With
    # this lock the second waits until the first has committed (or rolled back), and its count, a
    # later statement, then sees the first's order. It is taken after the catalog has answered, so
    # no lock waits on another service; a placement refused here has its stock released at once.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_PLACEMENTS_LOCK, str(user_id)])


def _refuse_past_pending_limit(user_id: uuid.UUID) -> None:
    """Refuse a new order while the customer already has as many pending orders holding stock as allowed."""
    most = settings.ORDERS_MAX_PENDING_PER_CUSTOMER
    # An order whose reservation has lapsed holds no stock any more (the reconciler cancels it).
    pending = Order.objects.filter(user_id=user_id, status=S.PENDING, reservation_expires_at__gt=timezone.now()).count()
    if pending >= most:
        raise TooManyPendingOrders(
            f"You have {pending} pending orders and one customer may have at most {most} at once; "
            "pay or cancel one before placing another."
        )


def _datetime(text: str) -> datetime:
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(f"not a datetime: {text!r}")
    return parsed


def order_pay(*, order: Order, account_id: uuid.UUID, actor: Actor) -> Order:
    """Charge the order from one of the user's accounts; on success it is paid and its stock committed.

    A failed charge (insufficient funds, a frozen account) leaves the order pending with the
    reason, payable again, and raises PaymentDeclined with it. An attempt whose answer was lost
    (payments or the bank down or slow) stays in flight: sending the same request again resumes
    that very attempt, never a second one, and so does the reconciler.
    """
    with transaction.atomic():
        order = _locked(order.id)
        if order.status == S.PAID and order.payment_account_id == account_id:
            return order  # paid by this very request before its answer was lost: the same answer
        if order.status != S.PENDING:
            raise InvalidTransition(f"An order that is {order.status} cannot be paid.")
        if order.payment_started_at is not None:
            if order.payment_account_id != account_id:
                raise PaymentInProgress("A payment from another account is in progress for this order.")
            payment_id = order.payment_id  # resume the attempt whose answer was lost
        else:
            if order.reservation_expires_at <= timezone.now():
                _move(order, S.CANCELLED, SYSTEM, "the stock reservation expired before payment")
                transaction.on_commit(lambda: _release_quietly(order.id))
                payment_id = None  # committed as cancelled; refused below
            else:
                payment_id = uuid.uuid4()
                order.payment_id, order.payment_account_id = payment_id, account_id
                order.payment_started_at = timezone.now()
                order.save()
    if payment_id is None:
        raise OrderExpired()
    # The attempt is committed before payments hears of it: whatever happens next, it can be found.
    try:
        result = clients.charge(payment_id=payment_id, order=order, account_id=account_id)
    except Refused as refusal:
        # payments refused the attempt outright (nothing was charged): drop it and say why.
        with transaction.atomic():
            order = _locked(order.id)
            if order.payment_id == payment_id:
                order.payment_started_at = None
                order.payment_error_code = refusal.code[:50]
                order.payment_error = refusal.message[:300]
                order.save()
        raise
    order = _settle(order.id, result, actor)
    if result["status"] == "failed" and order.status == S.PENDING:
        raise PaymentDeclined(order)
    return order


def _settle(order_id: uuid.UUID, payment: dict[str, Any], actor: Actor) -> Order:
    """Apply payment_service's answer about one of the order's attempts."""
    with transaction.atomic():
        order = _locked(order_id)
        mine = str(order.payment_id) == str(payment["id"])
        if payment["status"] == "pending" or not mine:
            return order  # still in flight, or an answer about an attempt this order moved past
        if payment["status"] in ("succeeded", "refunded") and order.status == S.PENDING:
            order.payment_started_at = None
            order.paid_payment_id = order.payment_id
            order.payment_error_code = order.payment_error = ""
            _move(order, S.PAID, actor, "payment succeeded")
            transaction.on_commit(lambda: _commit_stock(order.id), robust=True)
        elif payment["status"] == "failed" and order.payment_started_at is not None:
            order.payment_started_at = None
            order.payment_error_code = str(payment.get("failure_code", ""))[:50]
            order.payment_error = str(payment.get("failure_reason", "The payment failed."))[:300]
            order.save()
    order.refresh_from_db()
    return order


def _commit_stock(order_id: uuid.UUID) -> None:
    """The order is paid: its stock leaves for good. If the reservation had lapsed, refund instead."""
    try:
        clients.commit_reservation(order_id)
    except Refused:
        # The catalog gave the stock back before the payment landed: the order cannot be served.
        logger.warning("paid order lost its reservation; refunding", extra={"order_id": str(order_id)})
        try:
            order_refund(order=Order.objects.get(id=order_id), actor=SYSTEM, reason="the stock was no longer held")
        except (ServiceUnavailable, Refused, InvalidTransition) as error:
            # Left for the reconciler (which tries again: a refund without an answer stays requested,
            # so the order cannot be fulfilled meanwhile) and for staff, who see it in the admin.
            logger.warning(
                "refund of an order without stock postponed",
                extra={"order_id": str(order_id), "error": type(error).__name__},
            )
        return
    except ServiceUnavailable:
        logger.warning("stock commit postponed to the reconciler", extra={"order_id": str(order_id)})
        return
    Order.objects.filter(id=order_id).update(reservation_committed=True)


def _release_quietly(order_id: uuid.UUID) -> None:
    """Give the order's stock back; if the catalog is away, the reconciler (or expiry) will."""
    try:
        clients.release_reservation(order_id)
    except (ServiceUnavailable, Refused):
        logger.warning("stock release postponed", extra={"order_id": str(order_id)})
        return
    Order.objects.filter(id=order_id).update(reservation_released=True)


def order_cancel(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """Cancel a pending order (its stock returns) or refund a paid, unfulfilled one in full.

    An order already cancelled or refunded is answered as it is: a cancel sent again after its
    answer was lost (this service died after payments refunded, and the `payment.refunded` event
    completed the order) gets the outcome, not a refusal, like a payment sent again.
    """
    with transaction.atomic():
        order = _locked(order.id)
        if order.status in (S.CANCELLED, S.REFUNDED):
            return order
        if order.status == S.PENDING:
            if order.payment_started_at is not None:
                raise PaymentInProgress("A payment for this order is in progress; it cannot be cancelled now.")
            _move(order, S.CANCELLED, actor, reason or "cancelled")
            transaction.on_commit(lambda: _release_quietly(order.id))
            return order
        if order.status != S.PAID:
            raise InvalidTransition(f"An order that is {order.status} cannot be cancelled.")
    # Paid: refunded after this commit, since payments is called outside any transaction.
    return order_refund(order=order, actor=actor, reason=reason or "cancelled after payment")


# payments' answer for a refund the bank refused; payments keeps it requested and tries again.
STILL_REQUESTED = "refund_refused"


def order_refund(*, order: Order, actor: Actor, reason: str) -> Order:
    """Refund a paid order in full through payments, then mark it refunded and return its stock.

    Like a payment, the refund is recorded (`refund_requested_at`) and committed before payments
    hears of it, and no lock is held while payments answers; until the answer is applied the order
    cannot be fulfilled. A refusal that payments gives up on (not_refundable) drops the request; one
    the bank gave for now (refund_refused: payments tries again) keeps it; either is passed on. No
    answer (503, or 504: payments may have refunded) leaves it recorded: the same cancel sent again
    or the reconciler sends the same refund again (idempotent by payment id, never twice) and
    completes the order, and so does payments' `payment.refunded` event.
    """
    with transaction.atomic():
        order = _locked(order.id)
        if order.status == S.REFUNDED:
            return order
        if order.status != S.PAID:
            raise InvalidTransition(f"An order that is {order.status} cannot be refunded.")
        if order.refund_requested_at is None:  # a retry keeps the first request's time
            order.refund_requested_at = timezone.now()
            order.save(update_fields=["refund_requested_at", "updated_at"])
    assert order.paid_payment_id is not None
    # The request is committed before payments hears of it: whatever happens next, it can be found.
    try:
        clients.refund(order.paid_payment_id)  # idempotent: a retry never refunds twice
    except Refused as refusal:
        if refusal.code == STILL_REQUESTED:
            # The bank refused for now (a frozen account, say): payments keeps the refund requested
            # and tries it again, so the money may still go back. It stays in flight here too.
            raise
        # payments will not refund this payment at all: the order is paid as before.
        with transaction.atomic():
            order = _locked(order.id)
            if order.refund_requested_at is not None:
                order.refund_requested_at = None
                order.save(update_fields=["refund_requested_at", "updated_at"])
        raise
    with transaction.atomic():
        order = _locked(order.id)
        requested, order.refund_requested_at = order.refund_requested_at, None
        if order.status == S.PAID:
            _move(order, S.REFUNDED, actor, reason)
            transaction.on_commit(lambda: _release_quietly(order.id))
        elif requested is not None:  # completed meanwhile (a retry, the event): only the request is left
            order.save(update_fields=["refund_requested_at", "updated_at"])
    return order


def order_mark_refunded(*, order_id: uuid.UUID, actor: Actor, reason: str) -> Order:
    """Record a refund payments already made (a staff refund there, or one this service asked for
    whose answer was lost); the order's stock returns and no refund is in flight any more."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status == S.REFUNDED:
            return order
        shipped = order.status == S.FULFILLED
        order.refund_requested_at = None
        _move(order, S.REFUNDED, actor, reason)
        if not shipped:  # goods already shipped come back (or not) through staff, not the catalog
            transaction.on_commit(lambda: _release_quietly(order.id))
    return order


@transaction.atomic
def order_fulfil(*, order: Order, actor: Actor) -> Order:
    """Staff ship a paid order; not while a refund of it is in flight (its money may be going back)."""
    order = _locked(order.id)
    if order.refund_requested_at is not None:
        raise RefundInProgress()
    _move(order, S.FULFILLED, actor, "fulfilled")
    return order


def orders_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Finish what crashes and time-outs left half-way, by asking the owning services. Safe any time.

    - an attempt in flight for longer than ORDERS_PAYMENT_TIMEOUT: the same attempt is sent to
      payments again, which answers what became of it (or makes it now, once);
    - a paid order whose refund was asked for longer than ORDERS_PAYMENT_TIMEOUT ago without an
      answer: the same refund is sent to payments again (never made twice) and the order refunded;
    - a paid order whose stock is not committed yet: commit it (or refund if it lapsed);
    - a pending order whose reservation the catalog has expired: cancel it;
    - a cancelled or refunded order whose stock was not given back: release it.
    """
    now = now or timezone.now()
    counts = {"settled": 0, "refunded": 0, "committed": 0, "expired": 0, "released": 0, "errors": 0}
    cutoff = now - timedelta(seconds=settings.ORDERS_PAYMENT_TIMEOUT)

    def each(queryset: Any, step: Any, counter: str) -> None:
        for order in list(queryset):
            try:
                if step(order) is not False:
                    counts[counter] += 1
            except ServiceUnavailable:
                pass  # that service is away: next time
            except Refused as refusal:  # e.g. a refund the bank refuses for now: staff see it in the admin
                logger.warning(
                    "order reconciliation refused",
                    extra={"order_id": str(order.id), "code": refusal.code},
                )
                counts["errors"] += 1
            except Exception:  # one order must not stop the others
                logger.exception("order reconciliation failed", extra={"order_id": str(order.id)})
                counts["errors"] += 1

    def resume(order: Order) -> None:
        # Send the very same attempt again: payments answers what became of it, or makes it now
        # (idempotent by payment id), never a second charge. An attempt is never dropped on a guess.
        assert order.payment_id is not None and order.payment_account_id is not None
        answer = clients.charge(payment_id=order.payment_id, order=order, account_id=order.payment_account_id)
        _settle(order.id, answer, SYSTEM)

    def refund(order: Order) -> None:
        # Send the same refund again: payments answers the one it made, or makes it now, once. A
        # refusal drops the request (counted as an error, for staff); no answer leaves it for next time.
        order_refund(order=order, actor=SYSTEM, reason="the refund asked for earlier went through")

    def expire(order: Order) -> bool:
        reservation = clients.reservation(order.id)
        if reservation is not None and reservation["status"] not in ("expired", "released"):
            return False  # the catalog still holds it: not ours to decide
        with transaction.atomic():
            locked = _locked(order.id)
            if locked.status != S.PENDING or locked.payment_started_at is not None:
                return False
            _move(locked, S.CANCELLED, SYSTEM, "the stock reservation expired before payment")
            locked.reservation_released = True
            locked.save()
        return True

    each(Order.objects.filter(status=S.PENDING, payment_started_at__lt=cutoff), resume, "settled")
    each(Order.objects.filter(status=S.PAID, refund_requested_at__lt=cutoff), refund, "refunded")
    each(Order.objects.filter(status__in=[S.PAID, S.FULFILLED], reservation_committed=False),
         lambda order: _commit_stock(order.id), "committed")  # fmt: skip
    each(Order.objects.filter(status=S.PENDING, payment_started_at=None, reservation_expires_at__lt=now),
         expire, "expired")  # fmt: skip
    each(Order.objects.filter(status__in=[S.CANCELLED, S.REFUNDED], reservation_released=False),
         lambda order: _release_quietly(order.id), "released")  # fmt: skip
    return counts
