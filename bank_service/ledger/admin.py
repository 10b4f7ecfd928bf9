from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ledger import services
from ledger.models import Account, Posting, Transaction
from servicekit.admin import ReadOnlyAdmin
from servicekit.errors import ApplicationError, NotFound


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "owner_id", "currency", "balance", "status", "created_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["number", "owner_id"]
    actions = ["freeze", "unfreeze"]

    @admin.action(description="Freeze the selected accounts (no money moves in or out)")
    def freeze(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        self._set_status(request, queryset, Account.Status.FROZEN)

    @admin.action(description="Unfreeze the selected accounts")
    def unfreeze(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        self._set_status(request, queryset, Account.Status.ACTIVE)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Account], status: str) -> None:
        # The same service function as the API's, with its checks (closed stays closed, no system accounts).
        for account in queryset:
            try:
                services.account_set_status(account_id=account.id, status=status)
            except NotFound:
                self.message_user(request, f"{account.number}: not a customer account.", messages.ERROR)
            except ApplicationError as error:
                self.message_user(request, f"{account.number}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{account.number}: {status}.", messages.SUCCESS)


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
