"""Input and output shapes of the bank API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from ledger.models import Account, Posting, Transaction
from servicekit.fields import AmountField, CurrencyField
from servicekit.serializers import FlatOutputSerializer

# Output shapes declare their fields rather than derive them from the models: a ModelSerializer
# introspects its model on every instantiation, a measurable cost on the transfer path.


class AccountOutputSerializer(FlatOutputSerializer):
    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    owner_id = serializers.UUIDField(read_only=True, allow_null=True)
    currency = serializers.CharField(read_only=True)
    balance = serializers.IntegerField(read_only=True, help_text="Minor units.")
    status = serializers.ChoiceField(choices=Account.Status.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class AccountCreateInputSerializer(serializers.Serializer[Any]):
    currency = CurrencyField(currencies=settings.BANK_CURRENCIES)


class PostingOutputSerializer(FlatOutputSerializer):
    account_id = serializers.UUIDField(read_only=True)
    amount = serializers.IntegerField(read_only=True, help_text="Minor units: positive credits the account.")
    balance_after = serializers.IntegerField(read_only=True)


class TransactionOutputSerializer(FlatOutputSerializer):
    """A transaction; its postings are added by the caller, which already holds them."""

    id = serializers.UUIDField(read_only=True)
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices, read_only=True)
    description = serializers.CharField(read_only=True)
    actor_id = serializers.UUIDField(read_only=True, allow_null=True)
    actor_service = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class TransactionWithPostingsSerializer(TransactionOutputSerializer):
    """A transaction as the money-moving endpoints answer it: with its postings (which sum to zero)."""

    postings = PostingOutputSerializer(many=True, read_only=True)


class TransferOutputSerializer(TransactionOutputSerializer):
    """A transfer as its sender gets it: only the sender's own side, never the other account's balance."""

    postings = PostingOutputSerializer(
        many=True,
        read_only=True,
        help_text="Only the postings on your own accounts: the debit of the source, and the credit of the "
        "target when that account is yours too. Another customer's posting (and so their balance) is not shown.",
    )


class StatementLineSerializer(serializers.Serializer[Posting]):
    transaction_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(source="transaction.kind", read_only=True)
    description = serializers.CharField(source="transaction.description", read_only=True)
    amount = serializers.IntegerField(read_only=True)
    balance_after = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


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


class MovementCreateInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[Transaction.Kind.PAYMENT, Transaction.Kind.REFUND])
    account_id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    amount = _amount()
    currency = CurrencyField(currencies=settings.BANK_CURRENCIES, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReverseInputSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
