"""Input and output shapes of the payments API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from payments.models import Payment
from servicekit.fields import AmountField
from servicekit.serializers import FlatOutputSerializer


class PaymentOutputSerializer(FlatOutputSerializer):
    id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    account_id = serializers.UUIDField(read_only=True)
    amount = serializers.IntegerField(read_only=True, help_text="Minor units.")
    currency = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Payment.Status.choices, read_only=True)
    bank_transaction_id = serializers.UUIDField(read_only=True, allow_null=True)
    refund_transaction_id = serializers.UUIDField(read_only=True, allow_null=True)
    failure_code = serializers.CharField(read_only=True)
    failure_reason = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    refunded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    refund_requested_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ChargeInputSerializer(serializers.Serializer[Any]):
    """What order_service sends: the payment id it chose for this attempt, and what to charge."""

    payment_id = serializers.UUIDField()
    order_id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    account_id = serializers.UUIDField()
    amount = AmountField(max_value=10**12)
    currency = serializers.RegexField(r"\A[A-Z]{3}\Z", error_messages={"invalid": "An ISO 4217 code, e.g. EUR."})
