"""The payment service's domain errors."""

from rest_framework import status

from servicekit.errors import ApplicationError
from servicekit.http import ServiceUnavailable


class PaymentMismatch(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "payment_mismatch"
    default_detail = "A payment with this id exists for another order, account or amount."


class NotRefundable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_refundable"
    default_detail = "Only a succeeded payment can be refunded."


class RefundRefused(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refund_refused"
    default_detail = "The bank refused the refund."


class OtherAttemptAtTheBank(ServiceUnavailable):
    """Another attempt to pay the same order is with the bank: this one waits until that one is settled.

    A 503 (a ServiceUnavailable): nothing was done, and the same attempt sent again later goes on.
    """

    default_code = "payment_in_progress"
    default_detail = "Another payment of this order is being made; try again shortly."
