"""Input and output shapes of the catalog API."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from products.models import Category, Product, Reservation
from servicekit.fields import AmountField, CurrencyField, StrictIntegerField, timestamp

SKU = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z")


class CategorySummarySerializer(serializers.Serializer[Category]):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class CategoryOutputSerializer(CategorySummarySerializer):
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class CategoryInputSerializer(serializers.Serializer[Category]):
    """Create or change a category; on a partial update only the fields given change."""

    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=100, required=False)
    parent_id = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), source="parent", required=False, allow_null=True
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def __init__(self, *args: Any, instance_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].validators.append(
            UniqueValidator(Category.objects.exclude(pk=instance_id), message="A category with this slug exists.")
        )


class ProductOutputSerializer(serializers.Serializer[Product]):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    sku = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    price = serializers.IntegerField(read_only=True, help_text="Minor units (cents).")
    currency = serializers.CharField(read_only=True)
    stock = serializers.IntegerField(read_only=True)
    in_stock = serializers.SerializerMethodField()
    low_stock = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)
    image_url = serializers.CharField(read_only=True)
    category = CategorySummarySerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_in_stock(self, product: Product) -> bool:
        return product.stock > 0

    def get_low_stock(self, product: Product) -> bool:
        return 0 < product.stock <= settings.CATALOG_LOW_STOCK

    def to_representation(self, instance: Product) -> dict[str, Any]:
        """The fields above, built straight from the product (and its category, read with it).

        Every catalog read answers products: building the dict by hand skips DRF's per-request
        copy of the declared fields and its field-by-field walk, the largest part of a product
        page's CPU after the query. `test_product_answer_is_the_declared_shape` keeps it equal to
        what the declared fields produce.
        """
        category = instance.category
        return {
            "id": str(instance.id),
            "name": instance.name,
            "sku": instance.sku,
            "slug": instance.slug,
            "description": instance.description,
            "price": instance.price,
            "currency": instance.currency,
            "stock": instance.stock,
            "in_stock": instance.stock > 0,
            "low_stock": 0 < instance.stock <= settings.CATALOG_LOW_STOCK,
            "is_active": instance.is_active,
            "image_url": instance.image_url,
            "category": None
            if category is None
            else {"id": str(category.id), "name": category.name, "slug": category.slug},
            "created_at": timestamp(instance.created_at),
            "updated_at": timestamp(instance.updated_at),
        }


class ProductInputSerializer(serializers.Serializer[Product]):
    """Create or replace a product (PUT needs every required field; PATCH any of them)."""

    name = serializers.CharField(max_length=200)
    sku = serializers.RegexField(
        SKU, max_length=64, error_messages={"invalid": "Use letters, digits, '.', '_' and '-' only."}
    )
    slug = serializers.SlugField(max_length=220, required=False)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    price = AmountField(min_value=0, max_value=settings.CATALOG_MAX_PRICE)
    currency = CurrencyField(currencies=settings.CATALOG_CURRENCIES)
    stock = StrictIntegerField(min_value=0, max_value=settings.CATALOG_MAX_STOCK, required=False)
    is_active = serializers.BooleanField(required=False)
    image_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    category_id = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), source="category", required=False, allow_null=True
    )

    def __init__(self, *args: Any, instance_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Product.objects.exclude(pk=instance_id)
        self.fields["sku"].validators.append(UniqueValidator(others, message="A product with this sku exists."))
        self.fields["slug"].validators.append(UniqueValidator(others, message="A product with this slug exists."))


class ReservationLineInputSerializer(serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    quantity = StrictIntegerField(min_value=1, max_value=settings.CATALOG_MAX_LINE_QUANTITY)


class ReservationInputSerializer(serializers.Serializer[Any]):
    order_id = serializers.UUIDField()
    lines = serializers.ListField(child=ReservationLineInputSerializer(), min_length=1, max_length=100)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        product_ids = [line["product_id"] for line in lines]
        if len(set(product_ids)) != len(product_ids):
            raise serializers.ValidationError("Each product may appear in one line only.")
        return lines


class ReservationLineOutputSerializer(serializers.Serializer[Any]):
    product_id = serializers.UUIDField(read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_price = serializers.IntegerField(read_only=True, help_text="Minor units, as priced when reserved.")
    currency = serializers.CharField(read_only=True)


class ReservationOutputSerializer(serializers.Serializer[Reservation]):
    id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=Reservation.Status.choices, read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    lines = ReservationLineOutputSerializer(many=True, read_only=True)

    def to_representation(self, instance: Reservation) -> dict[str, Any]:
        """The fields above, built straight from the reservation and its lines (each with its product).

        Two of these answer every checkout; `test_reservation_answer_is_the_declared_shape` keeps
        it equal to what the declared fields produce.
        """
        return {
            "id": str(instance.id),
            "order_id": str(instance.order_id),
            "status": str(instance.status),
            "expires_at": timestamp(instance.expires_at),
            "created_at": timestamp(instance.created_at),
            "lines": [
                {
                    "product_id": str(line.product_id),
                    "sku": line.product.sku,
                    "name": line.product.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "currency": line.currency,
                }
                for line in instance.lines.all()
            ],
        }
