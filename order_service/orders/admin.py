from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders import services
from orders.errors import InvalidTransition, RefundInProgress
from orders.models import Order, OrderLine, OrderStatusChange


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "unit_price", "quantity"]
    readonly_fields = ["sku", "name", "unit_price", "quantity"]


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["from_status", "to_status", "actor", "actor_id", "reason", "created_at"]
    readonly_fields = ["from_status", "to_status", "actor", "actor_id", "reason", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders move only through the saga's service functions (the fulfil action is one of them)."""

    list_display = [
        "id",
        "user_id",
        "status",
        "total",
        "currency",
        "payment_error_code",
        "refund_requested_at",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["id", "user_id", "payment_id", "paid_payment_id"]
    readonly_fields = [field.name for field in Order._meta.fields]
    inlines = [OrderLineInline, OrderStatusChangeInline]
    show_facets = admin.ShowFacets.ALWAYS
    actions = ["fulfil"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Mark the selected paid orders fulfilled")
    def fulfil(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        actor = services.Actor("staff (admin)", getattr(request.user, "pk", None))
        for order in queryset:
            try:
                services.order_fulfil(order=order, actor=actor)
            except (InvalidTransition, RefundInProgress) as error:
                self.message_user(request, f"{order.id}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{order.id}: fulfilled.", messages.SUCCESS)
