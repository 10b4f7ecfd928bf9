"""Small helpers the services' API views share: validate a body, filter a list, answer a page."""

from __future__ import annotations

import functools
from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.pagination import PageNumberPagination


def validated(serializer_class: type[Any], request: Request, **kwargs: Any) -> dict[str, Any]:
    """The request body validated by `serializer_class`; a 400 with the field errors otherwise."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return cast(dict[str, Any], serializer.validated_data)


def filtered(filterset_class: type[Any], request: Request, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """`queryset` narrowed by the query string through a django-filter FilterSet; a 400 on a bad value.

    A query string that names none of the FilterSet's parameters (a plain list, `?page=2`) gets
    `queryset` as it is, without building the FilterSet: its copies of every filter and its form
    cost more than the page's query. That is what the FilterSet itself would answer when nothing
    in it can act on an empty query string (`_unasked_filters_nothing`); any other is built.
    """
    if not _names_a_filter(filterset_class, request.query_params) and _unasked_filters_nothing(
        cast(Any, filterset_class)
    ):
        return queryset
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return cast(QuerySet[Any], filterset.qs)


def _names_a_filter(filterset_class: type[Any], parameters: Any) -> bool:
    """Whether the query string names a parameter of the FilterSet (`name`, or `name_<suffix>` of a range)."""
    names = filterset_class.base_filters
    return any(key in names or any(key.startswith(f"{name}_") for name in names) for key in parameters)


# What a FilterSet runs on a request; one that overrides none of them only filters by its filters.
_FILTERSET_STEPS = ("__init__", "qs", "filter_queryset", "is_valid", "errors", "form", "get_form_class")


@functools.cache
def _unasked_filters_nothing(filterset_class: Any) -> bool:
    """Whether the FilterSet is sure to leave a query as it is when the query string names none of its filters.

    So it is when it runs django-filter's own steps (no override, which could read the request or
    order the query), its form is a plain form (no form-level checks) and every filter is optional
    and filters by django-filter's own code, which skips an empty value.
    """
    base: Any = django_filters.FilterSet
    if any(getattr(filterset_class, step) is not getattr(base, step) for step in _FILTERSET_STEPS):
        return False
    if filterset_class._meta.form is not base._meta.form:
        return False
    return all(
        not each.extra.get("required") and type(each).filter.__module__.startswith("django_filters.")
        for each in filterset_class.base_filters.values()
    )


def paginated(request: Request, view: APIView, queryset: Any, serializer_class: type[Any]) -> Response:
    """One page of `queryset` in the shared shape: count, next, previous, results."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
