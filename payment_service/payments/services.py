"""Writes on payments: charge an order (once), refund it, and settle payments left pending."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments import bank
from payments.errors import NotRefundable, PaymentMismatch, RefundRefused
from payments.models import Payment
from servicekit.events import publish_event

logger = logging.getLogger(__name__)


def _event(payment: Payment, event_type: str) -> None:
    publish_event(
        event_type,
        {
            "payment_id": str(payment.id),
            "order_id": str(payment.order_id),
            "user_id": str(payment.user_id),
            "account_id": str(payment.account_id),
            "amount": payment.amount,
            "currency": payment.currency,
            "bank_transaction_id": str(payment.bank_transaction_id) if payment.bank_transaction_id else None,
            "failure_code": payment.failure_code,
            "failure_reason": payment.failure_reason,
        },
        aggregate=f"order:{payment.order_id}",
    )


def _succeed(payment: Payment, transaction_id: str) -> None:
    payment.status = Payment.Status.SUCCEEDED
    payment.bank_transaction_id = uuid.UUID(transaction_id)
    payment.failure_code = payment.failure_reason = ""
    payment.save()
    _event(payment, "payment.succeeded")


def _fail(payment: Payment, code: str, reason: str) -> None:
    payment.status = Payment.Status.FAILED
    payment.failure_code, payment.failure_reason = code[:50], reason[:300]
    payment.save()
    _event(payment, "payment.failed")


def payment_charge(
    *,
    payment_id: uuid.UUID,
    order_id: uuid.UUID,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    amount: int,
    currency: str,
) -> tuple[Payment, bool]:
    """Charge an order from the user's account; idempotent by payment id. Returns (payment, created).

    The payment is recorded first, then the bank is asked with the payment's id as the key, so a
    retry (or the reconciler) after any crash or time-out finds the same movement and never
    charges twice. Attempts for one order are serialised, and an order already paid is not
    charged again. A bank outage raises ServiceUnavailable and leaves the payment pending.
    """
    details = {
        "order_id": order_id,
        "user_id": user_id,
        "account_id": account_id,
        "amount": amount,
        "currency": currency,
    }
    try:
        with transaction.atomic():
            payment, created = Payment.objects.get_or_create(id=payment_id, defaults=details)
    except IntegrityError:
        payment, created = Payment.objects.get(id=payment_id), False
    if any(getattr(payment, name) != value for name, value in details.items()):
        raise PaymentMismatch()
    with transaction.atomic():
        # Lock every attempt of the order: two attempts never charge at once.
        attempts = {attempt.id: attempt for attempt in Payment.objects.select_for_update().filter(order_id=order_id)}
        payment = attempts[payment.id]
        if payment.status != Payment.Status.PENDING:
            return payment, created
        if any(other.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED) for other in attempts.values()):
            _fail(payment, "already_paid", "This order has already been paid.")
            return payment, created
        answer = bank.move(
            kind="payment",
            key=bank.charge_key(payment.id),
            account_id=account_id,
            user_id=user_id,
            amount=amount,
            currency=currency,
            note=f"Order {order_id}",
        )
        if answer.transaction_id:
            _succeed(payment, answer.transaction_id)
        else:
            _fail(payment, answer.code, answer.reason)
    return payment, created


@transaction.atomic
def payment_refund(*, payment: Payment) -> Payment:
    """Give a succeeded payment's money back in full; refunding twice is harmless."""
    payment = Payment.objects.select_for_update().get(id=payment.id)
    if payment.status == Payment.Status.REFUNDED:
        return payment
    if payment.status != Payment.Status.SUCCEEDED:
        raise NotRefundable()
    answer = bank.move(
        kind="refund",
        key=bank.refund_key(payment.id),
        account_id=payment.account_id,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        note=f"Refund of order {payment.order_id}",
    )
    if not answer.transaction_id:
        raise RefundRefused(answer.reason or None)
    payment.status = Payment.Status.REFUNDED
    payment.refund_transaction_id = uuid.UUID(answer.transaction_id)
    payment.refunded_at = timezone.now()
    payment.save()
    _event(payment, "payment.refunded")
    return payment


def payments_reconcile() -> dict[str, int]:
    """Settle payments pending longer than PAYMENTS_PENDING_TIMEOUT by asking the bank what it did.

    A movement the bank made under the payment's key means the payment succeeded; none means
    nothing was charged, and the payment failed. Safe to run at any time, as often as wanted.
    """
    counts = {"succeeded": 0, "failed": 0}
    cutoff = timezone.now() - timedelta(seconds=settings.PAYMENTS_PENDING_TIMEOUT)
    stale = Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff).values_list("id", flat=True)
    for payment_id in list(stale):
        with transaction.atomic():
            payment = Payment.objects.select_for_update(skip_locked=True).filter(id=payment_id).first()
            if payment is None or payment.status != Payment.Status.PENDING:
                continue  # being charged right now, or settled meanwhile
            transaction_id = bank.find(bank.charge_key(payment.id))
            if transaction_id:
                _succeed(payment, transaction_id)
                counts["succeeded"] += 1
            else:
                _fail(payment, "not_completed", "The payment was interrupted before the bank charged anything.")
                counts["failed"] += 1
        logger.info("payment reconciled", extra={"payment_id": str(payment_id), "status": payment.status})
    return counts
