"""Input and output shapes of the bank API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from ledger.models import Account, Posting, Transaction
from servicekit.fields import AmountField, CurrencyField


class AccountOutputSerializer(serializers.ModelSerializer[Account]):
    class Meta:
        model = Account
        fields = ["id", "number", "owner_id", "currency", "balance", "status", "created_at"]
        read_only_fields = fields


class AccountCreateInputSerializer(serializers.Serializer[Any]):
    currency = CurrencyField(currencies=settings.BANK_CURRENCIES)


class PostingOutputSerializer(serializers.ModelSerializer[Posting]):
    account_id = serializers.UUIDField()

    class Meta:
        model = Posting
        fields = ["account_id", "amount", "balance_after"]
        read_only_fields = fields


class TransactionOutputSerializer(serializers.ModelSerializer[Transaction]):
    """A transaction; its postings are added by the caller, which already holds them."""

    class Meta:
        model = Transaction
        fields = ["id", "kind", "description", "actor_id", "actor_service", "created_at"]
        read_only_fields = fields


class StatementLineSerializer(serializers.ModelSerializer[Posting]):
    transaction_id = serializers.UUIDField()
    kind = serializers.CharField(source="transaction.kind")
    description = serializers.CharField(source="transaction.description")

    class Meta:
        model = Posting
        fields = ["transaction_id", "kind", "description", "amount", "balance_after", "created_at"]
        read_only_fields = fields


def _amount() -> AmountField:
    return AmountField(max_value=settings.BANK_MAX_AMOUNT)


class TransferInputSerializer(serializers.Serializer[Any]):
    source_account_id = serializers.UUIDField()
    target_account_id = serializers.UUIDField()
    amount = _amount()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CashInputSerializer(serializers.Serializer[Any]):
    account_id = serializers.UUIDField()
    amount = _amount()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MerchantMovementInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[Transaction.Kind.PAYMENT, Transaction.Kind.REFUND])
    account_id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    amount = _amount()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReverseInputSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
