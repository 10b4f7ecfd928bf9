from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Notification, Recipient


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Notifications are written by the event handlers; the admin reads them."""

    list_display = ["title", "user_id", "event_type", "is_read", "email_status", "created_at"]
    list_filter = ["event_type", "is_read", "email_status"]
    search_fields = ["user_id", "email", "title", "event_id"]
    readonly_fields = [field.name for field in Notification._meta.fields]
    show_facets = admin.ShowFacets.ALWAYS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "user_id", "updated_at"]
    search_fields = ["email", "full_name", "user_id"]
    readonly_fields = ["user_id", "email", "full_name", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
