"""Reads on the catalog: what a caller may see, the list filters, and validators for conditional GET."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from products.models import Category, Product, Reservation, ReservationLine
from servicekit.errors import NotFound
from servicekit.queries import found

SEARCH_MAX_LENGTH = 100


ORDERINGS = {
    "price": ("price", "id"),
    "-price": ("-price", "id"),
    "name": ("name", "id"),
    "-name": ("-name", "id"),
    "newest": ("-created_at", "id"),
    "oldest": ("created_at", "id"),
}


def product_list(*, staff: bool = False) -> QuerySet[Product]:
    """Every product for staff; active ones only for anyone else; newest first unless `?ordering=` says otherwise."""
    products = Product.objects.select_related("category").order_by(*ORDERINGS["newest"])
    return products if staff else products.filter(is_active=True)


def product_detail(product_id: uuid.UUID, *, staff: bool = False) -> Product:
    """One product as `product_list` shows it (an inactive one to staff only); `NotFound` otherwise.

    By primary key with no ORDER BY (`get`, not `first`): the product page's one statement.
    """
    try:
        return product_list(staff=staff).get(id=product_id)
    except Product.DoesNotExist:
        raise NotFound() from None


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name", "id")


def category_detail(category_id: uuid.UUID) -> Category:
    """One category; `NotFound` if there is none."""
    return found(Category.objects.filter(id=category_id))


def category_and_descendants(category_id: uuid.UUID) -> set[uuid.UUID]:
    """The category's id and those of every category below it (a shop has few categories)."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for node, parent in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(node)
    found, frontier = {category_id}, [category_id]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


class MinorUnitsFilter(django_filters.Filter):
    """A whole, non-negative number of minor units (no decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """`true`/`false` (or 1/0); anything else is an error, not silently ignored."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.", code="invalid") from None


class BooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class ProductFilter(django_filters.FilterSet):
    """`search`, `category` (with its subcategories), `min_price`/`max_price`, `in_stock`,
    `is_active` (staff), and `ordering` (price, -price, name, -name, newest, oldest)."""

    search = django_filters.CharFilter(method="filter_search", max_length=SEARCH_MAX_LENGTH)
    category = django_filters.UUIDFilter(method="filter_category")
    min_price = MinorUnitsFilter(field_name="price", lookup_expr="gte")
    max_price = MinorUnitsFilter(field_name="price", lookup_expr="lte")
    in_stock = BooleanFilter(method="filter_in_stock")
    is_active = BooleanFilter(field_name="is_active")
    currency = django_filters.CharFilter(field_name="currency", max_length=3)
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", choices=[(name, name) for name in ORDERINGS], empty_label=None
    )

    class Meta:
        model = Product
        fields = ["search", "category", "min_price", "max_price", "in_stock", "is_active", "currency", "ordering"]

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return queryset.filter(Q(name__icontains=value) | Q(sku__icontains=value) | Q(description__icontains=value))

    def filter_category(self, queryset: QuerySet[Product], name: str, value: uuid.UUID) -> QuerySet[Product]:
        return queryset.filter(category_id__in=category_and_descendants(value))

    def filter_in_stock(self, queryset: QuerySet[Product], name: str, value: bool) -> QuerySet[Product]:
        return queryset.filter(stock__gt=0) if value else queryset.filter(stock=0)

    def filter_ordering(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return queryset.order_by(*ORDERINGS[value])


def _audience(staff: bool) -> str:
    return "staff" if staff else "public"


# The state a list's ETag is made of, in one statement: the visible products' count and latest
# change (the list's own query, its filters included) and every category's.
_LIST_STATE = (
    "SELECT count(*), max(listed.updated_at),"
    " (SELECT count(*) FROM products_category), (SELECT max(updated_at) FROM products_category)"
    " FROM ({}) AS listed"
)


def list_validators(products: QuerySet[Product], *, query: str, staff: bool = False) -> tuple[str, int]:
    """An ETag for a product list answer, and how many products the list holds (its page count).

    The ETag changes whenever any visible product or any category changes, appears or
    disappears, and differs per `query` (the request's path and query string) and per audience.
    Lists carry no Last-Modified: a deleted product leaves no later timestamp behind, but it
    does change the count in the ETag. The count is the paginator's too, so the list needs no
    `COUNT(*)` of its own.
    """
    sql, params = products.order_by().values("id", "updated_at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_LIST_STATE.format(sql), params)
        count, changed, categories, categories_changed = cursor.fetchone()
    seed = f"{_audience(staff)}|{query}|{count}|{changed}|{categories}|{categories_changed}"
    return f'"{hashlib.sha256(seed.encode()).hexdigest()[:32]}"', count


def product_validators(product: Product, *, staff: bool = False) -> tuple[str, datetime]:
    """An ETag and a Last-Modified for one product (and its category) as the caller sees it."""
    category_changed = product.category.updated_at if product.category else None
    changed = max(d for d in (product.updated_at, category_changed) if d is not None)
    seed = f"{_audience(staff)}|{product.pk}|{product.updated_at}|{category_changed}"
    return f'"{hashlib.sha256(seed.encode()).hexdigest()[:32]}"', changed


# A reservation's lines with their products, in one statement (a join, not a query per relation).
WITH_LINES = Prefetch("lines", queryset=ReservationLine.objects.select_related("product"))


def reservation_detail(order_id: uuid.UUID) -> Reservation:
    """The order's reservation with its lines; `NotFound` if the order holds none."""
    return found(Reservation.objects.prefetch_related(WITH_LINES).filter(order_id=order_id))
