"""Orders, their lines (names and prices from the catalog, never the client) and their history."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicekit.models import UUIDModel


class Order(UUIDModel):
    """A customer's order: pending until paid, then fulfilled; or cancelled, or refunded."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    user_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(max_length=3)
    total = models.BigIntegerField(help_text="Minor units: the sum of the lines.")
    shipping_address = models.TextField(blank=True)
    note = models.TextField(blank=True)
    reservation_expires_at = models.DateTimeField(help_text="Until then the catalog holds the stock.")
    reservation_committed = models.BooleanField(default=False)
    reservation_released = models.BooleanField(default=False)
    # The payment attempt in flight (payment_started_at set) or the last one.
    payment_id = models.UUIDField(null=True, blank=True)
    payment_account_id = models.UUIDField(null=True, blank=True)
    payment_started_at = models.DateTimeField(null=True, blank=True)
    paid_payment_id = models.UUIDField(null=True, blank=True)
    payment_error_code = models.CharField(max_length=50, blank=True)
    payment_error = models.CharField(max_length=300, blank=True, help_text="Why the last payment failed.")
    # A refund asked of payments whose answer has not been applied yet: meanwhile the order is not
    # fulfilled, and a retry of the cancel or the reconciler finishes it.
    refund_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Set before payments is asked to refund; cleared once it has answered."
    )
    # Who asked for the refund in flight, and why: the history records them when it completes,
    # whoever completes it (the same cancel sent again, the reconciler, payments' event).
    refund_reason = models.CharField(max_length=300, blank=True)
    refund_actor = models.CharField(max_length=30, blank=True)
    refund_actor_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "fulfilled", "refunded"]) | Q(paid_payment_id__isnull=False),
                name="orders_paid_has_a_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "payment_started_at"], name="orders_in_flight"),
            models.Index(
                fields=["refund_requested_at"],
                condition=Q(refund_requested_at__isnull=False),
                name="orders_refund_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.UUIDField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    unit_price = models.BigIntegerField()
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


class OrderStatusChange(models.Model):
    """Who moved an order from one status to another, when and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=9, blank=True)
    to_status = models.CharField(max_length=9)
    actor_id = models.UUIDField(null=True, blank=True, help_text="The user who asked; empty for the system.")
    actor = models.CharField(max_length=30, help_text="customer, staff, or the system part that acted.")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"
