from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from servicekit.models import DeadLetter, IdempotencyKey, InboxEvent, OutboxEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the service functions write: nobody adds, changes or deletes them by hand.

    (The guarantees of the ledger, of idempotency and of events rest on such rows.)
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """Idempotency keys and the responses stored for them: read-only."""

    list_display = ["key", "owner", "state", "response_status", "created_at"]
    list_filter = ["state", "response_status"]
    search_fields = ["key", "owner"]
    readonly_fields = [field.name for field in IdempotencyKey._meta.fields]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """Events this service produced; "published: no" are still waiting for the relay."""

    list_display = ["event_type", "event_id", "aggregate", "occurred_at", "published_at"]
    list_filter = [("published_at", admin.EmptyFieldListFilter), "event_type"]
    search_fields = ["event_id", "aggregate"]
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]
    show_facets = admin.ShowFacets.ALWAYS


@admin.register(InboxEvent)
class InboxEventAdmin(ReadOnlyAdmin):
    """Events this service has handled (each once)."""

    list_display = ["event_type", "event_id", "producer", "received_at"]
    list_filter = ["event_type", "producer"]
    search_fields = ["event_id"]
    readonly_fields = [field.name for field in InboxEvent._meta.fields]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    """Events that failed every attempt; "retry" sends them back to the queue."""

    list_display = ["event_type", "event_id", "attempts", "created_at", "retried_at"]
    list_filter = [("retried_at", admin.EmptyFieldListFilter), "event_type"]
    search_fields = ["event_id", "error"]
    readonly_fields = [field.name for field in DeadLetter._meta.fields]
    show_facets = admin.ShowFacets.ALWAYS
    actions = ["retry"]

    @admin.action(description="Send the selected events back to their queue")
    def retry(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        from servicekit.events import retry_dead_letters

        count = retry_dead_letters(queryset)
        self.message_user(request, f"{count} event(s) sent back to their queue.", messages.SUCCESS)
