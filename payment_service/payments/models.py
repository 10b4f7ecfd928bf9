"""Payments: one per attempt to pay an order, each moving money (at most once) through the bank."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicekit.models import UUIDModel


class Payment(UUIDModel):
    """An attempt to pay an order from a customer's account; its id is the bank movement's key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    order_id = models.UUIDField(db_index=True)
    user_id = models.UUIDField(db_index=True)
    account_id = models.UUIDField()
    amount = models.BigIntegerField(help_text="Minor units.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    bank_transaction_id = models.UUIDField(null=True, blank=True)
    refund_transaction_id = models.UUIDField(null=True, blank=True)
    failure_code = models.CharField(max_length=50, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    charge_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set before the bank is asked to charge; while it is pending no other attempt of the order goes.",
    )
    refund_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Set before the bank is asked to refund; the reconciler finishes it."
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_amount_positive"),
            # However many attempts, an order is paid at most once.
            models.UniqueConstraint(
                fields=["order_id"],
                condition=Q(status__in=["succeeded", "refunded"]),
                name="payments_one_successful_payment_per_order",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed"]) | Q(bank_transaction_id__isnull=False),
                name="payments_paid_has_a_bank_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for order {self.order_id} ({self.status})"
