"""Small helpers the services' API views share: validate a body, filter a list, answer a page."""

from __future__ import annotations

from typing import Any, cast

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
    cost more than the page's query. That is what the FilterSet itself would answer, and it is
    checked, once per FilterSet class, on its first such request: one that filters even when
    given nothing is always built.
    """
    if not _names_a_filter(filterset_class, request.query_params) and _filters_nothing_unasked(
        filterset_class, request, queryset
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


_UNFILTERED: dict[type[Any], bool] = {}


def _filters_nothing_unasked(filterset_class: type[Any], request: Request, queryset: QuerySet[Any]) -> bool:
    """Whether the FilterSet, given no parameter, leaves the query as it is (learnt on first use, then kept)."""
    known = _UNFILTERED.get(filterset_class)
    if known is None:
        unasked = filterset_class({}, queryset=queryset, request=request).qs
        try:
            known = str(unasked.query) == str(queryset.query)
        except Exception:  # a query that cannot be printed: build the FilterSet every time
            known = False
        _UNFILTERED[filterset_class] = known
    return known


def paginated(request: Request, view: APIView, queryset: Any, serializer_class: type[Any]) -> Response:
    """One page of `queryset` in the shared shape: count, next, previous, results."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
