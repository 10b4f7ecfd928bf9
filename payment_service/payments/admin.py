from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from payments import services
from payments.errors import NotRefundable, RefundRefused
from payments.models import Payment
from servicekit.admin import ReadOnlyAdmin
from servicekit.http import ServiceUnavailable


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments change only through the service functions (which move money in the bank)."""

    list_display = ["id", "order_id", "user_id", "amount", "currency", "status", "failure_code", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["id", "order_id", "user_id", "bank_transaction_id"]
    readonly_fields = [field.name for field in Payment._meta.fields]
    show_facets = admin.ShowFacets.ALWAYS
    actions = ["refund"]

    @admin.action(description="Refund the selected payments in full")
    def refund(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset:
            try:
                services.payment_refund(payment_id=payment.id)
            except (ServiceUnavailable, NotRefundable, RefundRefused) as error:
                self.message_user(request, f"{payment.id}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{payment.id}: refunded.", messages.SUCCESS)
