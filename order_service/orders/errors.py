"""The order service's domain errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import status

from servicekit.errors import ApplicationError

if TYPE_CHECKING:
    from orders.models import Order


class InvalidTransition(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_transition"
    default_detail = "The order cannot make this move."


class PaymentInProgress(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "payment_in_progress"
    default_detail = "A payment for this order is in progress; try again in a moment."


class RefundInProgress(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refund_in_progress"
    default_detail = "A refund of this order is in progress; it cannot be fulfilled now."


class NoRefundInFlight(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "no_refund_in_flight"
    default_detail = "No refund of this order is waiting for an answer; there is nothing to give up."


class OrderExpired(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "order_expired"
    default_detail = "The order's stock reservation expired, so the order was cancelled; place it again."


class FreeOrder(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "free_order"
    default_detail = "Everything in this order costs nothing; there is nothing to pay. Add a priced item."


class TooManyPendingOrders(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "too_many_pending_orders"
    default_detail = "You have as many pending orders as one customer may have; pay or cancel one first."


class OrderTotalTooLarge(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "order_total_too_large"
    default_detail = "The order's total is more than one payment may be; order fewer items."


class PaymentDeclined(ApplicationError):
    """The payment was declined (insufficient funds, a frozen account, ...): the order stays pending."""

    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "payment_declined"
    default_detail = "The payment was declined; the order stays pending and may be paid again."

    def __init__(self, order: Order) -> None:
        super().__init__(order.payment_error or None, order.payment_error_code or None)
        self.order = order
