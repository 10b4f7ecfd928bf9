"""The order's state machine: which moves are allowed, who made each, and the event it publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from orders.errors import InvalidTransition
from orders.models import Order, OrderStatusChange
from servicekit.events import publish_event

Status = Order.Status

# From each status, the statuses an order may move to.
ALLOWED_MOVES: dict[str, set[str]] = {
    Status.PENDING: {Status.PAID, Status.CANCELLED},
    Status.PAID: {Status.FULFILLED, Status.REFUNDED},
    # Only through a staff refund in payment_service (a return after delivery), never a cancel.
    Status.FULFILLED: {Status.REFUNDED},
}


@dataclass(frozen=True)
class Actor:
    """Who moves an order: a customer, staff, or a part of the system (actor_id None)."""

    kind: str
    user_id: uuid.UUID | None = None


SYSTEM = Actor("system")


def move(order: Order, to: str, actor: Actor, reason: str = "") -> None:
    """Change the status (the order must be locked), record who did it and why, and publish it."""
    if to not in ALLOWED_MOVES.get(order.status, set()):
        raise InvalidTransition(f"An order that is {order.status} cannot become {to}.")
    OrderStatusChange.objects.create(
        order=order, from_status=order.status, to_status=to, actor=actor.kind, actor_id=actor.user_id, reason=reason
    )
    order.status = to
    order.save()
    publish_event(f"order.{to}", event_data(order, reason), aggregate=f"order:{order.id}")


def record(order: Order, actor: Actor, reason: str) -> None:
    """Add to the order's history a decision that leaves its status as it is (the order must be locked)."""
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor=actor.kind,
        actor_id=actor.user_id,
        reason=reason[:300],
    )


def event_data(order: Order, reason: str = "") -> dict[str, Any]:
    """The order's event body; its lines are counted from memory when they are loaded (no query)."""
    return {
        "order_id": str(order.id),
        "user_id": str(order.user_id),
        "status": order.status,
        "total": order.total,
        "currency": order.currency,
        "lines": len(order.lines.all()) if _loaded(order, "lines") else order.lines.count(),
        "reason": reason,
    }


def _loaded(order: Order, relation: str) -> bool:
    return relation in getattr(order, "_prefetched_objects_cache", {})
