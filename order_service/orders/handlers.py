"""Events order_service consumes: a refund made in payment_service completes its order."""

from __future__ import annotations

import uuid
from typing import Any

from orders import services
from orders.models import Order
from servicekit.events import Handler


def payment_refunded(event: dict[str, Any]) -> None:
    order_id = uuid.UUID(event["data"]["order_id"])
    if Order.objects.filter(id=order_id).exclude(status=Order.Status.REFUNDED).exists():
        services.order_mark_refunded(
            order_id=order_id, actor=services.Actor("payments"), reason="refunded in payment_service"
        )


HANDLERS: dict[str, Handler] = {"payment.refunded": payment_refunded}
