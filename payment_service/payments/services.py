"""Writes on payments: charge an order (once), refund it, and settle payments left pending.

Each step that moves money follows one discipline: record what is about to happen and commit,
call the bank with no row locked and no transaction open (a slow bank then holds nothing of
this service's), then apply the answer in a short transaction of its own. The bank's key
(`payment:<id>`, `refund:<id>`) makes the call safe to repeat, so two requests making the same
call at once, or a retry after a crash between the steps, never move money twice; the
reconciler finishes whatever a crash left recorded but unanswered.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from payments import clients, locks
from payments.clients import BankAnswer, MovementKind
from payments.errors import NotRefundable, OtherAttemptAtTheBank, PaymentMismatch, RefundRefused
from payments.models import Payment
from servicekit.events import publish_event
from servicekit.http import ServiceUnavailable

logger = logging.getLogger(__name__)

PAID = (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED)


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


def _succeed(payment: Payment, transaction_id: uuid.UUID) -> None:
    payment.status = Payment.Status.SUCCEEDED
    payment.bank_transaction_id = transaction_id
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

    The payment is recorded first, then claimed for the bank (`charge_requested_at`), both
    committed; then the bank is asked with the payment's id as the key, with nothing locked, so a
    retry (or the reconciler) after any crash or time-out finds the same movement and never
    charges twice. One attempt of an order at a time goes to the bank: another attempt finds it
    claimed and pending and waits (503); an order already paid is not charged again. A bank
    outage raises ServiceUnavailable and leaves the payment pending.
    """
    details = {"order_id": order_id, "user_id": user_id, "account_id": account_id, "amount": amount,
               "currency": currency}  # fmt: skip
    payment, created = _record(payment_id, details)
    if any(getattr(payment, name) != value for name, value in details.items()):
        raise PaymentMismatch()
    payment = charge_claim(payment)
    if payment.status != Payment.Status.PENDING:
        return payment, created
    # Committed, and nothing held: the bank may take its time.
    answer = clients.movement_create(
        kind=MovementKind.PAYMENT,
        key=clients.charge_key(payment.id),
        account_id=account_id,
        user_id=user_id,
        amount=amount,
        currency=currency,
        note=f"Order {order_id}",
    )
    return charge_apply(payment.id, answer), created


_TABLE = Payment._meta.db_table
# A payment is recorded in one statement, committed on its own: a concurrent duplicate of the
# same attempt waits until the first commits, then inserts nothing and reads the first's row.
_RECORD = (
    f"INSERT INTO {_TABLE} (id, order_id, user_id, account_id, amount, currency, status,"  # noqa: S608
    " failure_code, failure_reason, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, '', '', %s, %s) ON CONFLICT (id) DO NOTHING RETURNING id"
)


def _record(payment_id: uuid.UUID, details: dict[str, Any]) -> tuple[Payment, bool]:
    """Record the attempt as a pending payment, or find it recorded already; say whether it is new.

    Committed before the attempt is claimed: a claim locks every committed attempt of the order,
    so two attempts recorded at once always see each other (see `charge_claim`).
    """
    now = timezone.now()
    payment = Payment(id=payment_id, status=Payment.Status.PENDING, created_at=now, updated_at=now, **details)
    with connection.cursor() as cursor:  # autocommit: committed on its own
        cursor.execute(
            _RECORD,
            [payment_id, payment.order_id, payment.user_id, payment.account_id, payment.amount, payment.currency,
             payment.status, now, now],
        )  # fmt: skip
        created = cursor.fetchone() is not None
    if not created:
        return Payment.objects.get(id=payment_id), False
    payment._state.adding = False
    return payment, True


@transaction.atomic
def charge_claim(payment: Payment) -> Payment:
    """Decide, with every attempt of the order locked, whether this pending attempt may go to the bank.

    It may when no other attempt of the order is paid or on its way to the bank; it is then
    claimed (`charge_requested_at`) until its answer is applied. An order already paid fails the
    attempt; another attempt claimed and still pending raises OtherAttemptAtTheBank. A payment no
    longer pending (settled meanwhile) is returned as it is.
    """
    attempts = locks.attempts_of_order(payment.order_id)
    payment = attempts[payment.id]
    if payment.status != Payment.Status.PENDING:
        return payment
    others = [attempt for attempt in attempts.values() if attempt.id != payment.id]
    if any(other.status in PAID for other in others):
        _fail(payment, "already_paid", "This order has already been paid.")
        return payment
    if any(other.status == Payment.Status.PENDING and other.charge_requested_at for other in others):
        raise OtherAttemptAtTheBank()
    if payment.charge_requested_at is None:  # a retry keeps the first claim's time
        payment.charge_requested_at = timezone.now()
        payment.save(update_fields=["charge_requested_at", "updated_at"])
    return payment


@transaction.atomic
def charge_apply(payment_id: uuid.UUID, answer: BankAnswer) -> Payment:
    """Apply the bank's answer to a charge; an answer applied already (by a request sent at once) is kept."""
    payment = locks.payment_for_update(payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment
    if answer.transaction_id is not None:
        _succeed(payment, answer.transaction_id)
    else:
        _fail(payment, answer.code, answer.message)
    return payment


def payment_refund(*, payment_id: uuid.UUID) -> Payment:
    """Give a succeeded payment's money back in full; refunding twice is harmless.

    The request is recorded (`refund_requested_at`) and committed before the bank is asked, with
    nothing locked, so a refund whose answer is lost is found and finished by the reconciler with
    the same key: never lost, never made twice. A refusal by the bank leaves it requested (the
    reconciler asks again) and raises RefundRefused.
    """
    payment = refund_request(payment_id)
    if payment.status == Payment.Status.REFUNDED:
        return payment
    answer = clients.movement_create(
        kind=MovementKind.REFUND,
        key=clients.refund_key(payment.id),
        account_id=payment.account_id,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        note=f"Refund of order {payment.order_id}",
    )
    if answer.transaction_id is None:
        raise RefundRefused(answer.message or None)
    return refund_apply(payment.id, answer.transaction_id)


@transaction.atomic
def refund_request(payment_id: uuid.UUID) -> Payment:
    """Record that a refund is asked for (a retry keeps the first time); NotRefundable unless it was paid."""
    payment = locks.payment_for_update(payment_id)
    if payment.status == Payment.Status.REFUNDED:
        return payment
    if payment.status != Payment.Status.SUCCEEDED:
        raise NotRefundable()
    if payment.refund_requested_at is None:
        payment.refund_requested_at = timezone.now()
        payment.save(update_fields=["refund_requested_at", "updated_at"])
    return payment


@transaction.atomic
def refund_apply(payment_id: uuid.UUID, transaction_id: uuid.UUID) -> Payment:
    """Mark the payment refunded by the bank's movement; one refunded already (at once, by a retry) is kept."""
    payment = locks.payment_for_update(payment_id)
    if payment.status != Payment.Status.SUCCEEDED:
        return payment
    payment.status = Payment.Status.REFUNDED
    payment.refund_transaction_id = transaction_id
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
    stale = Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff).order_by("created_at")
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
            payment_refund(payment_id=payment.id)
            counts["settled"] += 1
        except ServiceUnavailable:
            counts["waiting"] += 1
        except Exception:  # a refusal (a closed account, say) is for staff: it stays visible in the admin
            logger.exception("refund reconciliation failed", extra={"payment_id": str(payment.id)})
            counts["errors"] += 1
    return counts
