"""Reads on orders: the caller's own (staff: all)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework.request import Request

from orders.models import Order
from servicekit.permissions import owned_by_caller


class OrderFilter(django_filters.FilterSet):
    """`?status=`, and for staff `?user_id=`."""

    user_id = django_filters.UUIDFilter()

    class Meta:
        model = Order
        fields = ["status", "user_id"]


def order_list(request: Request) -> QuerySet[Order]:
    orders = Order.objects.prefetch_related("lines", "history").order_by("-created_at", "id")
    return owned_by_caller(orders, request, owner_field="user_id")
