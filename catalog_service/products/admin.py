from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from products import services
from products.models import Category, Product, Reservation, ReservationLine
from servicekit.admin import ReadOnlyAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "updated_at"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "category", "price", "currency", "stock", "is_active", "updated_at"]
    list_filter = ["is_active", "currency", "category"]
    search_fields = ["name", "sku", "description"]
    readonly_fields = ["created_at", "updated_at"]
    list_select_related = ["category"]
    actions = ["deactivate", "activate"]

    @admin.action(description="Take the selected products off sale")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description="Put the selected products on sale")
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Product], *, active: bool) -> None:
        for product in queryset:
            services.product_set_active(product=product, active=active)
        self.message_user(request, f"{queryset.count()} product(s) updated.", messages.SUCCESS)


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    fields = ["product", "quantity", "unit_price", "currency"]
    readonly_fields = ["product", "quantity", "unit_price", "currency"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Reservations move stock: they change only through the catalog's service functions."""

    list_display = ["order_id", "status", "expires_at", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "id"]
    inlines = [ReservationLineInline]
    readonly_fields = ["order_id", "status", "expires_at", "created_at", "updated_at"]
