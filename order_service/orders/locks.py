"""The order service's locks, each named for what it locks (row locks on top of servicekit.locks)."""

from __future__ import annotations

import uuid

from django.db import connection

from orders.models import Order
from servicekit.locks import lock_found

# The first key of the advisory locks that serialise one customer's order placements.
_PLACEMENTS = 7_100_501


def order_for_update(order_id: uuid.UUID, *, owner_id: uuid.UUID | None = None) -> Order:
    """Lock one order (one of `owner_id`'s, when given); NotFound when there is none."""
    orders = Order.objects.filter(id=order_id)
    if owner_id is not None:
        orders = orders.filter(user_id=owner_id)
    return lock_found(orders, "No such order.")


def placements_of(user_id: uuid.UUID) -> None:
    """Hold, until the transaction ends, the lock that one customer's order placements take in turn.

    Counting the pending orders and inserting the new one are two statements: under READ
    COMMITTED two placements at once would each count the same free slot and both insert. With
    this lock the second waits until the first has committed (or rolled back), and its count, a
    later statement, then sees the first's order.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_PLACEMENTS, str(user_id)])
