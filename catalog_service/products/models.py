"""Categories, products with prices and stock, and the stock reservations orders hold."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicekit.models import UUIDModel


class Category(UUIDModel):
    """A shelf of the shop; a category may sit under a parent."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="products_category_not_own_parent")
        ]

    def __str__(self) -> str:
        return self.name


class Product(UUIDModel):
    """Something for sale: a price in minor units of one currency and the units in stock."""

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, unique=True, help_text="Stock keeping unit: letters, digits, . _ -")
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.BigIntegerField(help_text="Minor units (cents).")
    currency = models.CharField(max_length=3)
    stock = models.IntegerField(default=0, help_text="Units that can still be reserved.")
    is_active = models.BooleanField(default=True, help_text="Inactive products are hidden from customers.")
    image_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="products_product_price_not_negative"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="products_product_stock_not_negative"),
        ]
        indexes = [
            models.Index(fields=["price", "id"], name="products_product_price"),
            models.Index(fields=["name", "id"], name="products_product_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Reservation(UUIDModel):
    """Stock held for one order: taken from the products at once, then committed or given back."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        COMMITTED = "committed", "Committed"
        RELEASED = "released", "Released"
        EXPIRED = "expired", "Expired"

    order_id = models.UUIDField(unique=True, help_text="The order this stock is held for; one reservation per order.")
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField(help_text="A held reservation not committed by then returns its stock.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="held"), name="products_reservation_due"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} ({self.status})"


class ReservationLine(models.Model):
    """One product of a reservation, with the price it had when reserved."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reservation_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.BigIntegerField(help_text="Minor units, as the product was priced when reserved.")
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="products_line_quantity_positive"),
            models.UniqueConstraint(fields=["reservation", "product"], name="products_line_one_per_product"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"
