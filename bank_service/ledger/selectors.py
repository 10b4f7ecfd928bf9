"""Reads on the ledger."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import QuerySet
from rest_framework.request import Request

from ledger.models import Account, Posting, Transaction
from servicekit.permissions import owned_by_caller


class AccountFilter(django_filters.FilterSet):
    """Staff may filter by `?owner_id=`; everyone by `?currency=` and `?status=`."""

    owner_id = django_filters.UUIDFilter()

    class Meta:
        model = Account
        fields = ["owner_id", "currency", "status"]


class StatementFilter(django_filters.FilterSet):
    """`?date_from=` and `?date_to=` (ISO dates, both days included, UTC) and `?kind=`."""

    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    kind = django_filters.ChoiceFilter(field_name="transaction__kind", choices=Transaction.Kind.choices)

    class Meta:
        model = Posting
        fields = ["kind"]


def account_list(request: Request) -> QuerySet[Account]:
    """The caller's customer accounts; staff see every customer account."""
    accounts = Account.objects.filter(kind=Account.Kind.CUSTOMER).order_by("created_at", "id")
    return owned_by_caller(accounts, request)


def statement(account: Account) -> QuerySet[Posting]:
    """The account's postings, newest first, each with its transaction."""
    return Posting.objects.filter(account=account).select_related("transaction").order_by("-id")


def own_postings(entry: Transaction, *, owner_id: uuid.UUID) -> list[Posting]:
    """The postings of a movement just made that are on `owner_id`'s own accounts: all of it a customer may see."""
    return [posting for posting in entry.posted if posting.account.owner_id == owner_id]  # type: ignore[attr-defined]


def service_transaction(*, service: str, idempotency_key: str) -> Transaction | None:
    """The transaction a service made with this Idempotency-Key, if it was made (for reconcilers)."""
    return (
        Transaction.objects.filter(actor_service=service, idempotency_key=idempotency_key)
        .prefetch_related("postings")
        .first()
    )
