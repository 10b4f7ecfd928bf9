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
from servicekit.http import ServiceUnavailable

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
        attempts = {
            attempt.id: attempt
            for attempt in Payment.objects.select_for_update().filter(order_id=order_id).order_by("id")
        }
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


def payment_refund(*, payment: Payment) -> Payment:
    """Give a succeeded payment's money back in full; refunding twice is harmless.

    The request is recorded (and committed) before the bank is asked, so a refund whose answer is
    lost is found and finished by the reconciler, with the same key: never lost, never made twice.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(id=payment.id)
        if locked.status == Payment.Status.SUCCEEDED and locked.refund_requested_at is None:
            locked.refund_requested_at = timezone.now()
            locked.save(update_fields=["refund_requested_at", "updated_at"])
    with transaction.atomic():
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
    """Settle payments pending longer than PAYMENTS_PENDING_TIMEOUT, and refunds asked for that long
    ago without an answer. Safe at any time, as often as wanted.

    The same charge is sent to the bank again, under the same key and with the same details: the
    bank answers the movement it already made, refuses, says it is still busy with the first
    request (the payment stays pending), or makes the movement now. It never makes two, and
    nothing is concluded from an absence, which a request still in flight could contradict.
    """
    counts = {"settled": 0, "waiting": 0, "errors": 0}
    cutoff = timezone.now() - timedelta(seconds=settings.PAYMENTS_PENDING_TIMEOUT)
    stale = Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff)
    for payment in list(stale):
        try:
            payment_charge(
                payment_id=payment.id,
                order_id=payment.order_id,
                user_id=payment.user_id,
                account_id=payment.account_id,
                amount=payment.amount,
                currency=payment.currency,
            )
            counts["settled"] += 1
        except ServiceUnavailable:
            counts["waiting"] += 1
        except Exception:  # one payment must not stop the others
            logger.exception("payment reconciliation failed", extra={"payment_id": str(payment.id)})
            counts["errors"] += 1
    # Refunds asked for whose answer never came: ask again, with the same key.
    unanswered = Payment.objects.filter(status=Payment.Status.SUCCEEDED, refund_requested_at__lt=cutoff)
    for payment in list(unanswered):
        try:
            payment_refund(payment=payment)
            counts["settled"] += 1
        except ServiceUnavailable:
            counts["waiting"] += 1
        except Exception:  # a refusal (a closed account, say) is for staff: it stays visible in the admin
            logger.exception("refund reconciliation failed", extra={"payment_id": str(payment.id)})
            counts["errors"] += 1
    return counts
