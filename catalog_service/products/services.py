"""Writes on the catalog: categories, products, and the stock reservations that orders hold."""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.text import slugify

from products import locks, selectors
from products.errors import (
    CategoryCycle,
    CategoryInUse,
    InsufficientStock,
    MixedCurrencies,
    ReservationMismatch,
    ReservationNotHeld,
    UnknownProducts,
)
from products.models import Category, Product, Reservation, ReservationLine
from servicekit.events import publish_event


def _free_slug(model: type[Category] | type[Product], text: str, *, exclude: uuid.UUID | None = None) -> str:
    """A slug for `text` that no other row of `model` uses: the plain one, or it with a short suffix."""
    field = model._meta.get_field("slug")
    base = (slugify(text) or model._meta.model_name or "item")[: field.max_length - 7].strip("-")  # type: ignore[operator]
    others = model.objects.exclude(pk=exclude) if exclude else model.objects.all()
    slug = base
    while others.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _check_parent(category: Category | None, parent: Category | None) -> None:
    """Refuse a parent that is the category itself or lies below it."""
    node = parent
    while node is not None and category is not None:
        if node.pk == category.pk:
            raise CategoryCycle()
        node = node.parent


@transaction.atomic
def category_save(*, category: Category | None = None, **data: Any) -> Category:
    """Create a category, or change one; a missing slug is made from the name."""
    if category is None:
        category = Category()
    _check_parent(category if category.pk and not category._state.adding else None, data.get("parent", category.parent))
    for name, value in data.items():
        setattr(category, name, value)
    if not category.slug:
        category.slug = _free_slug(Category, category.name, exclude=category.pk)
    category.save()
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete an empty category; one with products or subcategories is kept (409)."""
    if category.products.exists() or category.children.exists():
        raise CategoryInUse()
    category.delete()


@transaction.atomic
def product_save(*, product: Product | None = None, **data: Any) -> Product:
    """Create a product, or change one; a missing slug is made from the name and sku."""
    creating = product is None
    # An existing product is read again, locked: a reservation may have moved its stock since the
    # caller loaded it, and a stale copy saved whole would give sold units back.
    product = Product() if product is None else locks.product_for_update(product.pk)
    for name, value in data.items():
        setattr(product, name, value)
    if not product.slug:
        product.slug = _free_slug(Product, f"{product.name} {product.sku}", exclude=product.pk)
    product.save()
    publish_event("product.created" if creating else "product.updated", _product_data(product), aggregate=_key(product))
    return product


def _key(product: Product) -> str:
    return f"product:{product.id}"


def _product_data(product: Product) -> dict[str, Any]:
    return {
        "product_id": str(product.id),
        "sku": product.sku,
        "name": product.name,
        "price": product.price,
        "currency": product.currency,
        "stock": product.stock,
        "is_active": product.is_active,
    }


@transaction.atomic
def product_delete(*, product: Product) -> bool:
    """Delete a product no order ever reserved; one that orders refer to is deactivated instead.

    Returns True when the product was deleted, False when it was only deactivated.
    """
    if ReservationLine.objects.filter(product=product).exists():
        product_set_active(product=product, active=False)
        return False
    product.delete()
    return True


@transaction.atomic
def product_set_active(*, product: Product, active: bool) -> Product:
    """Put a product on sale or take it off (hidden from customers, not reservable)."""
    product = locks.product_for_update(product.pk)
    product.is_active = active
    product.save(update_fields=["is_active", "updated_at"])
    publish_event("product.updated", _product_data(product), aggregate=_key(product))
    return product


def _same_lines(reservation: Reservation, wanted: Counter[uuid.UUID]) -> bool:
    return Counter({line.product_id: line.quantity for line in reservation.lines.all()}) == wanted


_RESERVATIONS = Reservation._meta.db_table
_PRODUCTS = Product._meta.db_table
# A reservation is claimed for its order in one statement: the order id is unique, so a
# concurrent duplicate waits until the first commits (or rolls back), then inserts nothing.
_CLAIM = (
    f"INSERT INTO {_RESERVATIONS} (id, order_id, status, expires_at, created_at, updated_at)"  # noqa: S608
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (order_id) DO NOTHING RETURNING id"
)
# Every line's units taken from its product in one statement; the products are locked already.
_TAKE_STOCK = (
    f"UPDATE {_PRODUCTS} AS product SET stock = product.stock - wanted.quantity, updated_at = %s"  # noqa: S608
    " FROM unnest(%s::uuid[], %s::integer[]) AS wanted(id, quantity) WHERE product.id = wanted.id"
)


def _with_lines(reservation: Reservation, lines: list[ReservationLine]) -> Reservation:
    """The reservation with `lines` (each with its product) as its lines, as a prefetch would leave them.

    The lines were just written and are in memory: the answer is built from them rather than
    read back.
    """
    cached: Any = reservation.lines.all()
    cached._result_cache, cached._prefetch_done = lines, True
    setattr(reservation, "_prefetched_objects_cache", {"lines": cached})  # noqa: B010 - Django's prefetch cache
    return reservation


def reservation_create(*, order_id: uuid.UUID, lines: list[tuple[uuid.UUID, int]]) -> tuple[Reservation, bool]:
    """Hold stock for every line of an order at once, or for none; idempotent by order id.

    Returns the reservation, its lines and their products loaded, and whether it was made now.
    The same order with the same lines gets its existing reservation back; with other lines, a 409.
    """
    wanted = Counter(dict(lines))
    now = timezone.now()
    reservation = Reservation(
        order_id=order_id,
        status=Reservation.Status.HELD,
        expires_at=now + timedelta(seconds=settings.CATALOG_RESERVATION_TTL),
        created_at=now,
        updated_at=now,
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, [reservation.id, order_id, reservation.status, reservation.expires_at, now, now])
            claimed = cursor.fetchone() is not None
        if not claimed:
            existing = Reservation.objects.prefetch_related(selectors.WITH_LINES).get(order_id=order_id)
            if not _same_lines(existing, wanted):
                raise ReservationMismatch()
            return existing, False
        reservation._state.adding = False
        ids = sorted(wanted)
        products = locks.products_for_reservation(ids)
        unknown = [str(product_id) for product_id in ids if product_id not in products]
        if unknown:
            raise UnknownProducts(fields={"product_ids": unknown})
        if len({product.currency for product in products.values()}) > 1:
            raise MixedCurrencies()
        short = {str(pid): products[pid].stock for pid in ids if products[pid].stock < wanted[pid]}
        if short:
            raise InsufficientStock(fields={"available": short})
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_STOCK, [now, ids, [wanted[product_id] for product_id in ids]])
        for product_id in ids:
            product, before = products[product_id], products[product_id].stock
            product.stock, product.updated_at = before - wanted[product_id], now
            if product.stock <= settings.CATALOG_LOW_STOCK < before:  # crossed the threshold just now
                publish_event(
                    "stock.low",
                    {**_product_data(product), "threshold": settings.CATALOG_LOW_STOCK},
                    aggregate=_key(product),
                )
        reserved = ReservationLine.objects.bulk_create(
            ReservationLine(
                reservation=reservation,
                product=products[product_id],
                quantity=quantity,
                unit_price=products[product_id].price,
                currency=products[product_id].currency,
            )
            for product_id, quantity in lines
        )
    return _with_lines(reservation, reserved), True


def _give_back(reservation: Reservation, status: str) -> None:
    """Return a reservation's stock to its products and record why (its lines are loaded)."""
    lines = sorted(reservation.lines.all(), key=lambda line: line.product_id)
    now = timezone.now()
    for line in lines:  # in product id order, like every other stock lock
        Product.objects.filter(id=line.product_id).update(stock=F("stock") + line.quantity, updated_at=now)
    reservation.status = status
    reservation.save(update_fields=["status", "updated_at"])


@transaction.atomic
def reservation_commit(*, order_id: uuid.UUID) -> Reservation:
    """The order was paid: its stock leaves for good. Committing twice is harmless.

    Returns the reservation with its lines, read once, for the answer.
    """
    reservation = locks.reservation_for_update(order_id)
    if reservation.status in (Reservation.Status.RELEASED, Reservation.Status.EXPIRED):
        raise ReservationNotHeld()
    if reservation.status == Reservation.Status.HELD:
        reservation.status = Reservation.Status.COMMITTED
        reservation.save(update_fields=["status", "updated_at"])
    prefetch_related_objects([reservation], selectors.WITH_LINES)
    return reservation


@transaction.atomic
def reservation_release(*, order_id: uuid.UUID) -> Reservation:
    """The order was cancelled or refunded: its stock returns. Releasing twice is harmless.

    Returns the reservation with its lines, read once (the give-back needs them too), for the answer.
    """
    reservation = locks.reservation_for_update(order_id)
    prefetch_related_objects([reservation], selectors.WITH_LINES)
    if reservation.status in (Reservation.Status.HELD, Reservation.Status.COMMITTED):
        _give_back(reservation, Reservation.Status.RELEASED)
    return reservation


def reservations_expire(*, now: datetime | None = None) -> int:
    """Give back the stock of held reservations past their time; return how many expired.

    Each reservation expires in its own short transaction (its products locked in id order, as
    everywhere); rows another process holds are skipped, so several runs at once never block
    each other or expire one twice.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            reservation = locks.next_due_reservation(now)
            if reservation is None:
                return expired
            _give_back(reservation, Reservation.Status.EXPIRED)
        expired += 1
