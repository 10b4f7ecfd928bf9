"""Reads on payments: a user's own (staff: all)."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import QuerySet

from payments.models import Payment
from servicekit.auth import TokenUser
from servicekit.queries import found


class PaymentFilter(django_filters.FilterSet):
    """`?status=`, `?order_id=`, and for staff `?user_id=`."""

    order_id = django_filters.UUIDFilter()
    user_id = django_filters.UUIDFilter()

    class Meta:
        model = Payment
        fields = ["status", "order_id", "user_id"]


def payment_list(*, user: TokenUser) -> QuerySet[Payment]:
    """The user's payments, newest first; staff see everyone's."""
    payments = Payment.objects.order_by("-created_at", "id")
    return payments if user.is_staff else payments.filter(user_id=user.id)


def payment_detail(*, payment_id: uuid.UUID, user: TokenUser) -> Payment:
    """One of the user's payments (staff: any); anyone else's is NotFound, like a missing one."""
    return found(payment_list(user=user).filter(id=payment_id), "No such payment.")
