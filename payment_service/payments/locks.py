"""The payment service's row locks, each named for what it locks (on top of servicekit.locks)."""

from __future__ import annotations

import uuid

from payments.models import Payment
from servicekit.locks import lock_all, lock_found


def payment_for_update(payment_id: uuid.UUID) -> Payment:
    """Lock one payment; NotFound when there is none."""
    return lock_found(Payment.objects.filter(id=payment_id), "No such payment.")


def attempts_of_order(order_id: uuid.UUID) -> dict[uuid.UUID, Payment]:
    """Lock every payment attempt of one order, in id order, so two charges of it decide in turn."""
    return {attempt.id: attempt for attempt in lock_all(Payment.objects.filter(order_id=order_id), order_by=("id",))}
