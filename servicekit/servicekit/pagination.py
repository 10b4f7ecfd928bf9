"""The one pagination every list uses: `?page=` and `?page_size=` (at most 100).

The `next` and `previous` links never name the address a request reached the service at: a
service sits behind the gateway, and the Host it is given is the client's, or, when the client
sent none (HTTP/1.0), the service's own private address. A link is the request's path and query
with another page (`/catalog/api/products/?page=2&page_size=1`), which the gateway serves as it
is; when `GATEWAY_PUBLIC_URL` is an absolute URL (`https://shop.example.com`), the link starts
with it instead. Paths are the same through the gateway and behind it, so either is right.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from servicekit.conf import env


def public_base_url() -> str:
    """The scheme, host and path of `GATEWAY_PUBLIC_URL` without its last slash when it is an
    absolute http(s) URL; otherwise (the default, `/`) an empty string: links stay relative."""
    parts = urlsplit(env.str("GATEWAY_PUBLIC_URL", default="/").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def page_link_base(request: Request) -> str:
    """This request's URL as links to its other pages start from: path and query, after the public base."""
    # One leading slash: a path the service was given as `//...` must not read as another host.
    path = "/" + request.get_full_path().lstrip("/")
    return public_base_url() + path


@extend_schema_field(OpenApiTypes.URI_REF)
class PageLinkField(serializers.CharField):
    """A `next` or `previous` link: a path and query (a URI reference), absolute only when
    `GATEWAY_PUBLIC_URL` is set to an absolute URL."""


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination answering `count`, `next`, `previous` and `results`."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_next_link(self) -> str | None:
        if self.page is None or self.request is None or not self.page.has_next():
            return None
        url = page_link_base(self.request)
        return str(replace_query_param(url, self.page_query_param, self.page.next_page_number()))

    def get_previous_link(self) -> str | None:
        if self.page is None or self.request is None or not self.page.has_previous():
            return None
        url = page_link_base(self.request)
        page_number = self.page.previous_page_number()
        if page_number == 1:
            return str(remove_query_param(url, self.page_query_param))
        return str(replace_query_param(url, self.page_query_param, page_number))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """DRF's page schema, with the links documented as URI references (they are relative)."""
        documented: dict[str, Any] = super().get_paginated_response_schema(schema)
        for name, page in (("next", 4), ("previous", 2)):
            documented["properties"][name].update(
                format="uri-reference", example=f"/shop/api/items/?{self.page_query_param}={page}"
            )
        return documented
