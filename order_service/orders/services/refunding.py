"""Refunding a paid order through payment_service, finishing a refund made there, or giving one up."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from orders import clients, locks
from orders.clients import PaymentsRefusal
from orders.errors import InvalidTransition, NoRefundInFlight
from orders.models import Order
from orders.services.stock import stock_release
from orders.services.transitions import Actor, move, record
from servicekit.errors import ApplicationError
from servicekit.http import Refused

Status = Order.Status


def order_refund(*, order_id: uuid.UUID, actor: Actor, reason: str) -> Order:
    """Refund a paid order in full through payments, then mark it refunded and return its stock.

    Like a payment, the refund is recorded (`refund_requested_at`, with who asked and why) and
    committed before payments hears of it, and no lock is held while payments answers; until the
    answer is applied the order cannot be fulfilled. A refusal that payments gives up on
    (not_refundable) drops the request; one the bank gave for now (payments keeps it requested and
    tries again) keeps it; either is passed on. No answer (503, or 504: payments may have
    refunded) leaves it recorded: the same cancel sent again or the reconciler sends the same
    refund again (idempotent by payment id, never twice) and completes the order, and so does
    payments' `payment.refunded` event. Whoever completes it, the history names the first asker
    and their reason.
    """
    order = _refund_request(order_id, actor, reason)
    if order.status == Status.REFUNDED:
        return order
    assert order.paid_payment_id is not None
    # The request is committed before payments hears of it: whatever happens next, it can be found.
    try:
        clients.payment_refund(order.paid_payment_id)  # idempotent: a retry never refunds twice
    except Refused as refusal:
        if refusal.code == PaymentsRefusal.REFUND_KEPT_REQUESTED:
            raise  # the money may still go back: the refund stays in flight here too
        _refund_drop(order_id)  # payments will not refund this payment at all: paid as before
        raise
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        requested = order.refund_requested_at is not None
        asker, why = _asker(order, actor, reason)
        _forget_request(order)
        if order.status == Status.PAID:
            move(order, Status.REFUNDED, asker, why)
            transaction.on_commit(lambda: stock_release(order.id))
        elif requested:  # completed meanwhile (a retry, the event): only the request is left
            order.save()
    return order


@transaction.atomic
def _refund_request(order_id: uuid.UUID, actor: Actor, reason: str) -> Order:
    """Record that a refund is asked for, by whom and why; a retry keeps the first request."""
    order = locks.order_for_update(order_id)
    if order.status == Status.REFUNDED:
        return order
    if order.status != Status.PAID:
        raise InvalidTransition(f"An order that is {order.status} cannot be refunded.")
    if order.refund_requested_at is None:
        order.refund_requested_at = timezone.now()
        order.refund_reason, order.refund_actor, order.refund_actor_id = reason[:300], actor.kind, actor.user_id
        order.save()
    return order


@transaction.atomic
def _refund_drop(order_id: uuid.UUID) -> None:
    order = locks.order_for_update(order_id)
    if order.refund_requested_at is not None:
        _forget_request(order)
        order.save()


def _asker(order: Order, actor: Actor, reason: str) -> tuple[Actor, str]:
    """Who asked for the refund in flight and why; `actor` and `reason` when none was recorded."""
    if order.refund_requested_at is not None and order.refund_actor:
        return Actor(order.refund_actor, order.refund_actor_id), order.refund_reason
    return actor, reason


def _forget_request(order: Order) -> None:
    order.refund_requested_at = None
    order.refund_reason, order.refund_actor, order.refund_actor_id = "", "", None


def order_mark_refunded(*, order_id: uuid.UUID, actor: Actor, reason: str) -> Order:
    """Record a refund payments already made (a staff refund there, or one this service asked for
    whose answer was lost); the order's stock returns and no refund is in flight any more. A refund
    this service asked for keeps its asker and reason; `actor` and `reason` name any other."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status == Status.REFUNDED:
            return order
        shipped = order.status == Status.FULFILLED
        asker, why = _asker(order, actor, reason)
        _forget_request(order)
        move(order, Status.REFUNDED, asker, why)
        if not shipped:  # goods already shipped come back (or not) through staff, not the catalog
            transaction.on_commit(lambda: stock_release(order.id))
    return order


@transaction.atomic
def order_refund_give_up(*, order_id: uuid.UUID, actor: Actor, reason: str) -> Order:
    """Staff give up a refund that payments keeps being refused (a closed account, say), saying why.

    The order stays paid, with no refund in flight: that is what it is. No money went back, so
    it is not refunded; the state machine keeps cancelled for orders never paid, and a cancelled
    order holding the customer's money would hide it from every look for paid ones, and could not
    become refunded should the money go back after all. Paid, it keeps both real ways out: staff
    fulfil it (the customer takes the goods after all), or the money goes back through payments
    (a refund there, or payments' own retries of this one, which it keeps until the bank takes it),
    whose `payment.refunded` event then completes it as refunded, its stock returned. The history
    records the decision (paid to paid), with who made it and why, next to the customer's request.
    """
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the refund is given up.", "reason_required")
    order = locks.order_for_update(order_id)
    if order.status != Status.PAID or order.refund_requested_at is None:
        raise NoRefundInFlight()
    asked = ""
    if order.refund_actor:  # the request itself left no history entry: name it here
        asked = f" (asked by {order.refund_actor}{': ' + order.refund_reason if order.refund_reason else ''})"
    record(order, actor, f"refund given up: {reason}{asked}")
    _forget_request(order)
    order.save()
    return order
