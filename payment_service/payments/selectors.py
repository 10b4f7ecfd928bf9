"""Reads on payments: the caller's own (staff: all)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework.request import Request

from payments.models import Payment
from servicekit.permissions import owned_by_caller


class PaymentFilter(django_filters.FilterSet):
    """`?status=`, `?order_id=`, and for staff `?user_id=`."""

    order_id = django_filters.UUIDFilter()
    user_id = django_filters.UUIDFilter()

    class Meta:
        model = Payment
        fields = ["status", "order_id", "user_id"]


def payment_list(request: Request) -> QuerySet[Payment]:
    return owned_by_caller(Payment.objects.order_by("-created_at", "id"), request, owner_field="user_id")
