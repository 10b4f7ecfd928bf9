"""Finishing what crashes and time-outs left half-way, by asking the owning services. Safe any time.

Each step below takes one order the reconciler picked and returns whether it did something; a
step that finds there is nothing to do (yet) returns False.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from orders import clients, locks
from orders.models import Order
from orders.services.paying import payment_settle, stock_commit
from orders.services.refunding import order_refund
from orders.services.stock import stock_release
from orders.services.transitions import SYSTEM, move
from servicekit.http import Refused, ServiceUnavailable

logger = logging.getLogger(__name__)

Status = Order.Status
Step = Callable[[Order], bool]


def payment_resume(order: Order) -> bool:
    """Send an attempt in flight to payments again: it answers what became of it, or makes it now.

    Idempotent by payment id, so never a second charge; an attempt is never dropped on a guess.
    """
    assert order.payment_id is not None and order.payment_account_id is not None
    payment = clients.payment_charge(
        payment_id=order.payment_id,
        order_id=order.id,
        user_id=order.user_id,
        account_id=order.payment_account_id,
        amount=order.total,
        currency=order.currency,
    )
    payment_settle(order.id, payment, SYSTEM)
    return True


def refund_resend(order: Order) -> bool:
    """Send a refund asked for earlier to payments again: it answers the one it made, or makes it now, once.

    A refusal drops the request (or keeps it, if payments keeps it); no answer leaves it for next time.
    """
    order_refund(order_id=order.id, actor=SYSTEM, reason="the refund asked for earlier went through")
    return True


def stock_commit_retry(order: Order) -> bool:
    """Commit the stock of a paid order (or refund it, if its reservation lapsed meanwhile)."""
    stock_commit(order.id)
    return True


def order_expire(order: Order) -> bool:
    """Cancel a pending order whose reservation the catalog has given back; False while the catalog holds it."""
    reservation = clients.reservation_get(order.id)
    if reservation is not None and reservation.status.holds_stock:
        return False  # the catalog still holds it: not ours to decide
    with transaction.atomic():
        locked = locks.order_for_update(order.id)
        if locked.status != Status.PENDING or locked.payment_started_at is not None:
            return False
        move(locked, Status.CANCELLED, SYSTEM, "the stock reservation expired before payment")
        locked.reservation_released = True
        locked.save()
    return True


def stock_release_retry(order: Order) -> bool:
    """Give back the stock of a cancelled or refunded order that still holds it."""
    stock_release(order.id)
    return True


def reconcile_each(orders: QuerySet[Order], step: Step) -> tuple[int, int]:
    """Run `step` on each order; return (done, errors). One order's failure never stops the others.

    A service that is away is no error (next time); a refusal (a refund the bank refuses for
    now, say) is one, for staff, who see the order in the admin.
    """
    done = errors = 0
    for order in list(orders):
        try:
            if step(order):
                done += 1
        except ServiceUnavailable:
            pass  # that service is away: next time
        except Refused as refusal:
            logger.warning("order reconciliation refused", extra={"order_id": str(order.id), "code": refusal.code})
            errors += 1
        except Exception:  # one order must not stop the others
            logger.exception("order reconciliation failed", extra={"order_id": str(order.id)})
            errors += 1
    return done, errors


def orders_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Finish what crashes and time-outs left half-way, by asking the owning services. Safe any time.

    - an attempt in flight for longer than ORDERS_PAYMENT_TIMEOUT: the same attempt is sent to
      payments again, which answers what became of it (or makes it now, once);
    - a paid order whose refund was asked for longer than ORDERS_PAYMENT_TIMEOUT ago without an
      answer: the same refund is sent to payments again (never made twice) and the order refunded;
    - a paid order whose stock is not committed yet: commit it (or refund if it lapsed);
    - a pending order whose reservation the catalog has expired: cancel it;
    - a cancelled or refunded order whose stock was not given back: release it.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ORDERS_PAYMENT_TIMEOUT)
    orders = Order.objects.all()
    steps: list[tuple[str, QuerySet[Order], Step]] = [
        ("settled", orders.filter(status=Status.PENDING, payment_started_at__lt=cutoff), payment_resume),
        ("refunded", orders.filter(status=Status.PAID, refund_requested_at__lt=cutoff), refund_resend),
        ("committed", orders.filter(status__in=[Status.PAID, Status.FULFILLED], reservation_committed=False),
         stock_commit_retry),
        ("expired", orders.filter(status=Status.PENDING, payment_started_at=None, reservation_expires_at__lt=now),
         order_expire),
        ("released", orders.filter(status__in=[Status.CANCELLED, Status.REFUNDED], reservation_released=False),
         stock_release_retry),
    ]  # fmt: skip
    counts = dict.fromkeys([counter for counter, _, _ in steps], 0) | {"errors": 0}
    for counter, selected, step in steps:
        done, errors = reconcile_each(selected, step)
        counts[counter] += done
        counts["errors"] += errors
    return counts
