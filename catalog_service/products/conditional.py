"""Conditional GET for the catalog's reads: validators on the answer, 304 when the client's copy is current."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `ETag` of the copy you hold: unchanged, the answer is 304 with no body.",
)
IF_MODIFIED_SINCE = OpenApiParameter(
    "If-Modified-Since",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `Last-Modified` of the copy you hold (an HTTP date); `If-None-Match` wins when both are sent.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified")


def conditional(request: Request, response: Response | None, *, etag: str, last_modified: Any = None) -> Any:
    """Answer 304 when the client's copy is current; otherwise mark `response` with its validators.

    Call first with `response=None` (returns a 304 or None), then with the full response.
    """
    timestamp = int(last_modified.timestamp()) if last_modified else None
    answer: HttpResponseBase | None = response
    if response is None:
        answer = get_conditional_response(request._request, etag=etag, last_modified=timestamp)
        if answer is None:
            return None
    assert answer is not None
    answer["ETag"] = etag
    if timestamp is not None:
        answer["Last-Modified"] = http_date(timestamp)
    # Browsers revalidate every time (cheap with the ETag); the gateway's micro-cache decides itself.
    answer["Cache-Control"] = "no-cache" if not request.auth else "private, no-cache"
    patch_vary_headers(answer, ["Authorization"])
    return answer
