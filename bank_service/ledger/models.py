"""Accounts and an append-only, double-entry journal: every transaction's postings sum to zero."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicekit.models import UUIDModel


class Account(UUIDModel):
    """A customer's account, or a system account (external cash, merchant revenue) that balances the books."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        SYSTEM = "system", "System"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        CLOSED = "closed", "Closed"

    class SystemCode(models.TextChoices):
        EXTERNAL_CASH = "external_cash", "External cash (deposits and withdrawals)"
        MERCHANT_REVENUE = "merchant_revenue", "Merchant revenue (payments and refunds)"

    number = models.CharField(max_length=32, unique=True, help_text="Human-readable, with a check digit.")
    owner_id = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="The auth user; empty for system accounts."
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CUSTOMER)
    system_code = models.CharField(max_length=20, choices=SystemCode.choices, blank=True)
    currency = models.CharField(max_length=3)
    balance = models.BigIntegerField(default=0, help_text="Minor units; always the sum of the postings.")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="system") | Q(balance__gte=0), name="ledger_account_customer_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="system", owner_id__isnull=True, system_code__gt="")
                | Q(kind="customer", owner_id__isnull=False, system_code=""),
                name="ledger_account_kind_consistent",
            ),
            models.UniqueConstraint(
                fields=["system_code", "currency"],
                condition=Q(kind="system"),
                name="ledger_account_one_system_per_currency",
            ),
            models.CheckConstraint(condition=~Q(status="closed") | Q(balance=0), name="ledger_account_closed_is_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.currency})"


class Transaction(UUIDModel):
    """One movement of money: two or more postings summing to zero. Never edited; reversed instead."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        TRANSFER = "transfer", "Transfer"
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        REVERSAL = "reversal", "Reversal"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200, blank=True)
    actor_id = models.UUIDField(null=True, blank=True, help_text="The user who asked, or for whom a service acted.")
    actor_service = models.CharField(max_length=64, blank=True, help_text="The service that acted, if any.")
    idempotency_key = models.CharField(max_length=255, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class Posting(models.Model):
    """One leg of a transaction on one account, with the account's balance right after it."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(help_text="Minor units: positive credits the account, negative debits it.")
    balance_after = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="ledger_posting_statement")]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"
