"""The accounts API: the caller's own accounts."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.pagination import PageNumberPagination


class AccountListApi(APIView):
    """The caller's accounts, paginated; none exist until accounts can be opened."""

    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page: list[object] = paginator.paginate_queryset([], request, view=self) or []  # type: ignore[arg-type]
        return paginator.get_paginated_response(page)
