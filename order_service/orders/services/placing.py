"""Placing an order: the catalog reserves its stock, then the order is stored as pending."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from orders import clients, locks, selectors
from orders.errors import FreeOrder, OrderTotalTooLarge, TooManyPendingOrders
from orders.models import Order, OrderLine, OrderStatusChange
from orders.services.stock import stock_release
from orders.services.transitions import event_data
from servicekit.events import publish_event


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
    # One read: whether this very order exists already (a retry), and, early, so that a refused
    # order never reaches the catalog, how many of the customer's orders hold stock.
    mine = Order.objects.filter(user_id=user_id).aggregate(
        existing=Count("id", filter=Q(id=order_id)), pending=Count("id", filter=_holding_stock())
    )
    if mine["existing"]:
        return selectors.with_details(Order.objects.get(id=order_id, user_id=user_id))
    _refuse_past_pending_limit(mine["pending"])
    reservation = clients.reservation_create(order_id, items)
    total = reservation.total
    if total == 0:
        stock_release(order_id)
        raise FreeOrder()
    if total > settings.BANK_MAX_AMOUNT:
        # The bank would refuse every payment of it: refused now rather than holding stock unpayable.
        stock_release(order_id)
        raise OrderTotalTooLarge(
            f"The order's total, {total} in minor units, is more than one payment may be "
            f"({settings.BANK_MAX_AMOUNT}); order fewer items."
        )
    try:
        # No savepoint of its own inside the request's transaction: a refusal leaves the block
        # before anything is written, and any other error ends the whole transaction anyway.
        with transaction.atomic(savepoint=False):
            # Taken after the catalog has answered, so no lock waits on another service; a
            # placement refused here has its stock released at once.
            locks.placements_of(user_id)
            pending = Order.objects.filter(_holding_stock(), user_id=user_id).count()
            order = None
            if pending < settings.ORDERS_MAX_PENDING_PER_CUSTOMER:
                order = _store(order_id, user_id, reservation, shipping_address=shipping_address, note=note)
        if order is None:
            _refuse_past_pending_limit(pending)
    except Exception:
        stock_release(order_id)  # the order was not stored: give its stock back now
        raise
    assert order is not None
    return order


def _store(
    order_id: uuid.UUID, user_id: uuid.UUID, reservation: clients.Reservation, *, shipping_address: str, note: str
) -> Order:
    """Write the pending order, its lines as the catalog priced them, its first history entry and its event.

    Returns the order with the lines and history just written attached: the answer reads nothing back.
    """
    order = Order.objects.create(
        id=order_id,
        user_id=user_id,
        currency=reservation.lines[0].currency,
        total=reservation.total,
        shipping_address=shipping_address,
        note=note,
        reservation_expires_at=reservation.expires_at,
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            unit_price=line.unit_price,
            quantity=line.quantity,
        )
        for line in reservation.lines
    )
    placed = OrderStatusChange.objects.create(
        order=order, to_status=Order.Status.PENDING, actor="customer", actor_id=user_id, reason="placed"
    )
    selectors.attach_details(order, lines, [placed])
    publish_event("order.created", event_data(order), aggregate=f"order:{order.id}")
    return order


def _holding_stock() -> Q:
    """A customer's pending orders that hold stock: one whose reservation has lapsed holds none any
    more (the reconciler cancels it)."""
    return Q(status=Order.Status.PENDING, reservation_expires_at__gt=timezone.now())


def _refuse_past_pending_limit(pending: int) -> None:
    """Refuse a new order while the customer already has as many pending orders holding stock as allowed."""
    most = settings.ORDERS_MAX_PENDING_PER_CUSTOMER
    if pending >= most:
        raise TooManyPendingOrders(
            f"You have {pending} pending orders and one customer may have at most {most} at once; "
            "pay or cancel one before placing another."
        )
