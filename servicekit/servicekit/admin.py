from django.contrib import admin

from servicekit.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Idempotency keys and the responses stored for them: read-only."""

    list_display = ["key", "owner", "state", "response_status", "created_at"]
    list_filter = ["state", "response_status"]
    search_fields = ["key", "owner"]
    readonly_fields = [field.name for field in IdempotencyKey._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
