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
    """`queryset` narrowed by the query string through a django-filter FilterSet; a 400 on a bad value."""
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return cast(QuerySet[Any], filterset.qs)


def paginated(request: Request, view: APIView, queryset: Any, serializer_class: type[Any]) -> Response:
    """One page of `queryset` in the shared shape: count, next, previous, results."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
