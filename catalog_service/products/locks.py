"""The catalog's row locks, each named for what it guards, all on `servicekit.locks`.

Stock moves under these locks only. Several products are always locked in product id order (a
reservation's, and a given-back reservation's rows updated in that order too), so two orders
over the same products queue instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from products.models import Product, Reservation
from servicekit.locks import lock_all, lock_found, lock_free


def product_for_update(product_id: uuid.UUID) -> Product:
    """The product `product_id` read afresh and locked: reservations move its stock meanwhile."""
    return lock_found(Product.objects.filter(pk=product_id))


def products_for_reservation(product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """The products of `product_ids` that are on sale, locked in id order, by id (others are left out)."""
    products = lock_all(Product.objects.filter(id__in=set(product_ids), is_active=True), order_by=("id",))
    return {product.id: product for product in products}


def reservation_for_update(order_id: uuid.UUID) -> Reservation:
    """The reservation of the order `order_id`, locked: a commit and a release of it queue."""
    return lock_found(Reservation.objects.filter(order_id=order_id))


def next_due_reservation(now: datetime) -> Reservation | None:
    """The held reservation longest past its time (at `now`) that no other transaction holds, locked;
    None when there is none.

    A queue several expirers share: a held row is skipped, never waited for, so runs at once never
    block each other or expire one twice; one at a time, each given back in its own short transaction.
    """
    due = Reservation.objects.filter(status=Reservation.Status.HELD, expires_at__lte=now)
    locked = lock_free(due, order_by=("expires_at", "id"), limit=1)
    return locked[0] if locked else None
