"""Reads on orders: a user's own (staff: all)."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import QuerySet

from orders.models import Order
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
