"""Input and output shapes of the orders API."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from rest_framework import serializers

from orders.models import Order, OrderLine, OrderStatusChange
from servicekit.fields import StrictIntegerField, timestamp
from servicekit.schema import ErrorSerializer


class ItemInputSerializer(serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    quantity = StrictIntegerField(
        min_value=1,
        max_value=settings.ORDERS_MAX_LINE_QUANTITY,
        error_messages={"max_value": "At most {max_value} units of one product per order."},
    )


class OrderCreateInputSerializer(serializers.Serializer[Any]):
    items = serializers.ListField(child=ItemInputSerializer(), min_length=1, max_length=settings.ORDERS_MAX_LINES)
    shipping_address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        product_ids = [item["product_id"] for item in items]
        if len(set(product_ids)) != len(product_ids):
            raise serializers.ValidationError("Each product may appear in one item only; add up the quantities.")
        units, most = sum(item["quantity"] for item in items), settings.ORDERS_MAX_ORDER_QUANTITY
        if units > most:
            raise serializers.ValidationError(f"At most {most} units in one order; this one has {units}.")
        return items


class PayInputSerializer(serializers.Serializer[Any]):
    account_id = serializers.UUIDField()


class CancelInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderLineOutputSerializer(serializers.Serializer[OrderLine]):
    product_id = serializers.UUIDField(read_only=True)
    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    unit_price = serializers.IntegerField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    line_total = serializers.IntegerField(read_only=True)


class StatusChangeOutputSerializer(serializers.Serializer[OrderStatusChange]):
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor = serializers.CharField(read_only=True)
    actor_id = serializers.UUIDField(read_only=True, allow_null=True)
    reason = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class PaymentStateSerializer(serializers.Serializer[Order]):
    """The order's payment as far as the order knows it."""

    in_progress = serializers.SerializerMethodField()
    payment_id = serializers.UUIDField(read_only=True, allow_null=True)
    paid_payment_id = serializers.UUIDField(read_only=True, allow_null=True)
    error_code = serializers.CharField(source="payment_error_code", read_only=True)
    error = serializers.CharField(source="payment_error", read_only=True)
    refund_in_progress = serializers.SerializerMethodField()

    def get_in_progress(self, order: Order) -> bool:
        return order.payment_started_at is not None

    def get_refund_in_progress(self, order: Order) -> bool:
        """A refund was asked of payments and its answer is not applied yet: the order is not fulfilled meanwhile."""
        return order.refund_requested_at is not None


class OrderOutputSerializer(serializers.Serializer[Order]):
    id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=Order.Status.choices, read_only=True)
    total = serializers.IntegerField(read_only=True, help_text="Minor units.")
    currency = serializers.CharField(read_only=True)
    shipping_address = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    reservation_expires_at = serializers.DateTimeField(read_only=True)
    payment = PaymentStateSerializer(source="*", read_only=True)
    lines = OrderLineOutputSerializer(many=True, read_only=True)
    history = StatusChangeOutputSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Order) -> dict[str, Any]:
        """The fields above, built straight from the order, its lines and its history (loaded with it).

        Every order answer (place, pay, cancel, a page of the list) goes through here: building the
        dict by hand skips DRF's per-request copy of the declared fields and its field-by-field
        walk. `test_order_answer_is_the_declared_shape` keeps it equal to what the declared
        fields produce.
        """
        return {
            "id": str(instance.id),
            "user_id": str(instance.user_id),
            "status": str(instance.status),
            "total": instance.total,
            "currency": instance.currency,
            "shipping_address": instance.shipping_address,
            "note": instance.note,
            "reservation_expires_at": timestamp(instance.reservation_expires_at),
            "payment": {
                "in_progress": instance.payment_started_at is not None,
                "payment_id": _uuid(instance.payment_id),
                "paid_payment_id": _uuid(instance.paid_payment_id),
                "error_code": instance.payment_error_code,
                "error": instance.payment_error,
                "refund_in_progress": instance.refund_requested_at is not None,
            },
            "lines": [
                {
                    "product_id": str(line.product_id),
                    "sku": line.sku,
                    "name": line.name,
                    "unit_price": line.unit_price,
                    "quantity": line.quantity,
                    "line_total": line.line_total,
                }
                for line in instance.lines.all()
            ],
            "history": [
                {
                    "from_status": change.from_status,
                    "to_status": str(change.to_status),
                    "actor": change.actor,
                    "actor_id": _uuid(change.actor_id),
                    "reason": change.reason,
                    "created_at": timestamp(change.created_at),
                }
                for change in instance.history.all()
            ],
            "created_at": timestamp(instance.created_at),
            "updated_at": timestamp(instance.updated_at),
        }


def _uuid(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


class PaymentDeclinedSerializer(ErrorSerializer):
    """A declined payment: the one error shape, with the order, still pending and payable again."""

    order = OrderOutputSerializer(
        read_only=True, help_text="The order as it is now: pending, `payment.error` saying why."
    )
