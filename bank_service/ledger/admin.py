from django.contrib import admin
from django.http import HttpRequest

from ledger.models import Account, Posting, Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger rows are written by the bank's service functions only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "owner_id", "currency", "balance", "status", "created_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["number", "owner_id"]


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account", "amount", "balance_after")
    readonly_fields = ("account", "amount", "balance_after")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "description", "actor_id", "actor_service", "created_at"]
    list_filter = ["kind", "actor_service"]
    search_fields = ["id", "description", "idempotency_key"]
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount", "balance_after", "created_at"]
    search_fields = ["account__number", "transaction__id"]
