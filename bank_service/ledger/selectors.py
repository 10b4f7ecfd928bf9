"""Reads on the ledger."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import QuerySet

from ledger.models import Account, Posting, Transaction
from servicekit.queries import found


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


def account_list(*, user_id: uuid.UUID, staff: bool = False) -> QuerySet[Account]:
    """The customer accounts of the user `user_id`; staff see every customer account."""
    # One filter() call: each call clones the query and resolves its lookups again.
    if staff:
        return Account.objects.filter(kind=Account.Kind.CUSTOMER).order_by("created_at", "id")
    return Account.objects.filter(kind=Account.Kind.CUSTOMER, owner_id=user_id).order_by("created_at", "id")


def account_detail(account_id: uuid.UUID, *, user_id: uuid.UUID, staff: bool = False) -> Account:
    """One account the user may see (staff: any customer account); `NotFound` for anyone else's,
    which so reveals nothing about it."""
    return found(account_list(user_id=user_id, staff=staff).filter(id=account_id))


def statement(account: Account) -> QuerySet[Posting]:
    """The account's postings, newest first, each with its transaction."""
    return Posting.objects.filter(account=account).select_related("transaction").order_by("-id")
