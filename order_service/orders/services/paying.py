"""Paying an order: one attempt at a time, recorded before payments hears of it, settled by its answer."""

from __future__ import annotations

import logging
import uuid
from enum import Enum

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from orders import clients, locks
from orders.clients import PaymentStatus
from orders.errors import InvalidTransition, OrderExpired, PaymentDeclined, PaymentInProgress
from orders.models import Order
from orders.services.refunding import order_refund
from orders.services.stock import stock_release
from orders.services.transitions import SYSTEM, Actor, move
from servicekit.http import Refused, ServiceUnavailable

logger = logging.getLogger(__name__)

Status = Order.Status


def order_pay(*, order_id: uuid.UUID, owner_id: uuid.UUID, account_id: uuid.UUID, actor: Actor) -> Order:
    """Charge one of `owner_id`'s orders from one of their accounts; on success it is paid and its stock committed.

    A failed charge (insufficient funds, a frozen account) leaves the order pending with the
    reason, payable again, and raises PaymentDeclined with it. An attempt whose answer was lost
    (payments or the bank down or slow) stays in flight: sending the same request again resumes
    that very attempt, never a second one, and so does the reconciler. Returns the order as the
    answer left it, to be shown as it is (refunded already, or with its refund in flight, when
    the catalog no longer held the stock).
    """
    order, payment_id = _attempt(order_id, owner_id, account_id)
    if payment_id is None:
        return order
    # The attempt is committed before payments hears of it: whatever happens next, it can be found.
    try:
        payment = _charge(order, payment_id, account_id)
    except Refused as refusal:
        # payments refused the attempt outright (nothing was charged): drop it and say why.
        with transaction.atomic():
            order = locks.order_for_update(order.id)
            if order.payment_id == payment_id:
                order.payment_started_at = None
                order.payment_error_code = refusal.code[:50]
                order.payment_error = refusal.message[:300]
                order.save(update_fields=["payment_started_at", "payment_error_code", "payment_error", "updated_at"])
        raise
    order = payment_settle(order.id, payment, actor)
    if payment.status is PaymentStatus.FAILED and order.status == Status.PENDING:
        raise PaymentDeclined(order)
    return order


def _attempt(order_id: uuid.UUID, owner_id: uuid.UUID, account_id: uuid.UUID) -> tuple[Order, uuid.UUID | None]:
    """Start an attempt, or find the one in flight from the same account; commit it, and say which.

    The payment id is None when the order was paid already by this very account (the answer to a
    request whose answer was lost). An order whose reservation lapsed is cancelled, and refused.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id, owner_id=owner_id)
        if order.status == Status.PAID and order.payment_account_id == account_id:
            return order, None  # paid by this very request before its answer was lost: the same answer
        if order.status != Status.PENDING:
            raise InvalidTransition(f"An order that is {order.status} cannot be paid.")
        if order.payment_started_at is not None:
            if order.payment_account_id != account_id:
                raise PaymentInProgress("A payment from another account is in progress for this order.")
            assert order.payment_id is not None
            return order, order.payment_id  # resume the attempt whose answer was lost
        if order.reservation_expires_at > timezone.now():
            order.payment_id, order.payment_account_id = uuid.uuid4(), account_id
            order.payment_started_at = timezone.now()
            order.save(update_fields=["payment_id", "payment_account_id", "payment_started_at", "updated_at"])
            return order, order.payment_id
        move(order, Status.CANCELLED, SYSTEM, "the stock reservation expired before payment")
        transaction.on_commit(lambda: stock_release(order.id))
    raise OrderExpired()  # committed as cancelled


def _charge(order: Order, payment_id: uuid.UUID, account_id: uuid.UUID) -> clients.Payment:
    return clients.payment_charge(
        payment_id=payment_id,
        order_id=order.id,
        user_id=order.user_id,
        account_id=account_id,
        amount=order.total,
        currency=order.currency,
    )


def payment_settle(order_id: uuid.UUID, payment: clients.Payment, actor: Actor) -> Order:
    """Apply payment_service's answer about one of the order's attempts; return the order as it left it.

    A pending answer, or one about an attempt the order moved past, changes nothing. A payment
    that took the money makes a pending order paid, its stock committed first (so that the paid
    order and its committed stock are written in one transaction); a failed one ends the attempt
    with its reason, and the order stays payable.
    """
    stock = _stock_commit_call(order_id) if payment.status.paid else None
    refunding = False
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if payment.status is PaymentStatus.PENDING or order.payment_id != payment.id:
            return order  # still in flight, or an answer about an attempt this order moved past
        if payment.status.paid and order.status == Status.PENDING:
            order.payment_started_at = None
            order.paid_payment_id = order.payment_id
            order.payment_error_code = order.payment_error = ""
            order.reservation_committed = order.reservation_committed or stock is _Stock.COMMITTED
            prefetch_related_objects([order], "lines")  # the event counts them, the answer shows them
            move(order, Status.PAID, actor, "payment succeeded")
            if stock is _Stock.NOT_HELD:
                refunding = True
                transaction.on_commit(lambda: _refund_without_stock(order.id), robust=True)
        elif payment.status is PaymentStatus.FAILED and order.payment_started_at is not None:
            order.payment_started_at = None
            order.payment_error_code = (payment.failure_code or "")[:50]
            order.payment_error = (payment.failure_reason or "The payment failed.")[:300]
            order.save()
    if refunding:  # the refund that followed changed the order: shown as it is now
        return Order.objects.get(id=order_id)
    return order


class _Stock(Enum):
    """What the catalog answered to committing an order's stock."""

    COMMITTED = "committed"
    NOT_HELD = "not held"  # the reservation lapsed (or was given back) before the payment landed
    NO_ANSWER = "no answer"  # the catalog is away: the reconciler commits it later


def _stock_commit_call(order_id: uuid.UUID) -> _Stock:
    """Ask the catalog to commit the order's stock (idempotent by order id); say what it answered.

    Asked with no transaction open, before the order is marked paid: the payment has taken the
    money, so the order becomes paid whatever the catalog says, and a commit of a reservation
    whose order is later cancelled or refunded is undone by its release like any other.
    """
    try:
        clients.reservation_commit(order_id)
    except Refused:
        return _Stock.NOT_HELD
    except ServiceUnavailable:
        logger.warning("stock commit postponed to the reconciler", extra={"order_id": str(order_id)})
        return _Stock.NO_ANSWER
    return _Stock.COMMITTED


def stock_commit(order_id: uuid.UUID) -> None:
    """The order is paid: its stock leaves for good. If the reservation had lapsed, refund instead."""
    stock = _stock_commit_call(order_id)
    if stock is _Stock.NOT_HELD:
        _refund_without_stock(order_id)
    elif stock is _Stock.COMMITTED:
        Order.objects.filter(id=order_id).update(reservation_committed=True)


def _refund_without_stock(order_id: uuid.UUID) -> None:
    """The catalog gave the stock back before the payment landed: the order cannot be served, so refund it."""
    logger.warning("paid order lost its reservation; refunding", extra={"order_id": str(order_id)})
    try:
        order_refund(order_id=order_id, actor=SYSTEM, reason="the stock was no longer held")
    except (ServiceUnavailable, Refused, InvalidTransition) as error:
        # Left for the reconciler (which tries again: a refund without an answer stays requested,
        # so the order cannot be fulfilled meanwhile) and for staff, who see it in the admin.
        logger.warning(
            "refund of an order without stock postponed",
            extra={"order_id": str(order_id), "error": type(error).__name__},
        )
