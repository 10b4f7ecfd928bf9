"""Reads on orders: a user's own (staff: all)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import django_filters
from django.db.models import QuerySet, prefetch_related_objects

from orders.models import Order, OrderLine, OrderStatusChange
from servicekit.auth import TokenUser
from servicekit.queries import found


class OrderFilter(django_filters.FilterSet):
    """`?status=`, and for staff `?user_id=`."""

    user_id = django_filters.UUIDFilter()

    class Meta:
        model = Order
        fields = ["status", "user_id"]


def order_list(*, user: TokenUser) -> QuerySet[Order]:
    """The user's orders with their lines and history, newest first; staff see everyone's."""
    orders = Order.objects.prefetch_related("lines", "history").order_by("-created_at", "id")
    return orders if user.is_staff else orders.filter(user_id=user.id)


def order_detail(*, order_id: uuid.UUID, user: TokenUser) -> Order:
    """One of the user's orders (staff: any) with its lines and history; anyone else's is NotFound."""
    return found(order_list(user=user).filter(id=order_id), "No such order.")


def with_details(order: Order) -> Order:
    """The order with its lines and history loaded, for the answer: what is loaded already is kept.

    The order itself is the one the request just locked and changed (whose it is was checked
    then), so the answer is built from it rather than read again.
    """
    prefetch_related_objects([order], "lines", "history")
    return order


def attach_details(order: Order, lines: Iterable[OrderLine], history: Iterable[OrderStatusChange]) -> Order:
    """The order with `lines` and `history` as its loaded lines and history, as a prefetch would leave them.

    For an order whose rows were all just written and are in memory: the answer needs no read.
    """
    loaded: dict[str, Any] = {}
    for relation, rows in (("lines", lines), ("history", history)):
        cached: Any = getattr(order, relation).all()
        cached._result_cache, cached._prefetch_done = list(rows), True
        loaded[relation] = cached
    setattr(order, "_prefetched_objects_cache", loaded)  # noqa: B010 - Django's prefetch cache
    return order
