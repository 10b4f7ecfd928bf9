"""Giving an order's stock back to the catalog."""

from __future__ import annotations

import logging
import uuid

from orders import clients
from orders.models import Order
from servicekit.http import Refused, ServiceUnavailable

logger = logging.getLogger(__name__)


def stock_release(order_id: uuid.UUID) -> None:
    """Give the order's stock back; if the catalog is away, the reconciler (or expiry) will."""
    try:
        clients.reservation_release(order_id)
    except (ServiceUnavailable, Refused):
        logger.warning("stock release postponed", extra={"order_id": str(order_id)})
        return
    Order.objects.filter(id=order_id).update(reservation_released=True)
