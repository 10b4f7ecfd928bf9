"""Reads on users."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import Q, QuerySet

from servicekit.queries import found
from users.models import Role, User


class UserFilter(django_filters.FilterSet):
    """`?search=` in email and name, `?role=`, `?is_active=`."""

    search = django_filters.CharFilter(method="filter_search", max_length=100)
    role = django_filters.ChoiceFilter(choices=Role.choices, method="filter_role")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["is_active"]

    def filter_search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(Q(email__icontains=value) | Q(full_name__icontains=value))

    def filter_role(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(roles__contains=[value])


def user_list() -> QuerySet[User]:
    """Every user, oldest first (a stable order for pagination)."""
    return User.objects.order_by("date_joined", "id")


def user_get(*, user_id: uuid.UUID | str) -> User:
    """The user with this id, active or not; NotFound when there is none."""
    return found(User.objects.filter(pk=user_id))
