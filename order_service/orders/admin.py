import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from orders import services
from orders.models import Order, OrderLine, OrderStatusChange
from servicekit.errors import ApplicationError


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


class OrderActionForm(ActionForm):
    """The action bar, with the reason an action records (giving up a refund needs one)."""

    reason = forms.CharField(max_length=200, required=False, label="Reason")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders move only through the saga's service functions (the actions are some of them)."""

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
    action_form = OrderActionForm
    actions = ["fulfil", "give_up_refund"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _actor(self, request: HttpRequest) -> services.Actor:
        """The signed-in staff member, by their auth id (the admin's shadow user is named by it)."""
        try:
            staff_id: uuid.UUID | None = uuid.UUID(str(request.user.get_username()))
        except ValueError:
            staff_id = None
        return services.Actor("staff (admin)", staff_id)

    @admin.action(description="Mark the selected paid orders fulfilled")
    def fulfil(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            try:
                services.order_fulfil(order_id=order.id, actor=self._actor(request))
            except ApplicationError as error:
                self.message_user(request, f"{order.id}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{order.id}: fulfilled.", messages.SUCCESS)

    @admin.action(description="Give up the refund the bank keeps refusing (say why in Reason); the orders stay paid")
    def give_up_refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Say why the refund is given up, in Reason.", messages.ERROR)
            return
        for order in queryset:
            try:
                services.order_refund_give_up(order_id=order.id, actor=self._actor(request), reason=reason)
            except ApplicationError as error:
                self.message_user(request, f"{order.id}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{order.id}: refund given up; the order stays paid.", messages.SUCCESS)
