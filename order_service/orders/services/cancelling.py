"""Cancelling an order: a pending one gives its stock back, a paid one is refunded in full."""

from __future__ import annotations

import uuid

from django.db import transaction

from orders import locks
from orders.errors import InvalidTransition, PaymentInProgress, RefundInProgress
from orders.models import Order
from orders.services.refunding import order_refund
from orders.services.stock import stock_release
from orders.services.transitions import Actor, move

Status = Order.Status


def order_cancel(*, order_id: uuid.UUID, actor: Actor, reason: str = "", owner_id: uuid.UUID | None = None) -> Order:
    """Cancel a pending order (its stock returns) or refund a paid, unfulfilled one in full.

    `owner_id`, when given, is whose order it must be (a customer's own; staff may cancel any).
    An order already cancelled or refunded is answered as it is: a cancel sent again after its
    answer was lost (this service died after payments refunded, and the `payment.refunded` event
    completed the order) gets the outcome, not a refusal, like a payment sent again.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id, owner_id=owner_id)
        if order.status in (Status.CANCELLED, Status.REFUNDED):
            return order
        if order.status == Status.PENDING:
            if order.payment_started_at is not None:
                raise PaymentInProgress("A payment for this order is in progress; it cannot be cancelled now.")
            move(order, Status.CANCELLED, actor, reason or "cancelled")
            transaction.on_commit(lambda: stock_release(order.id))
            return order
        if order.status != Status.PAID:
            raise InvalidTransition(f"An order that is {order.status} cannot be cancelled.")
    # Paid: refunded after this commit, since payments is called outside any transaction.
    return order_refund(order_id=order.id, actor=actor, reason=reason or "cancelled after payment")


@transaction.atomic
def order_fulfil(*, order_id: uuid.UUID, actor: Actor) -> Order:
    """Staff ship a paid order; not while a refund of it is in flight (its money may be going back)."""
    order = locks.order_for_update(order_id)
    if order.refund_requested_at is not None:
        raise RefundInProgress()
    move(order, Status.FULFILLED, actor, "fulfilled")
    return order
