"""The one pagination every list uses: `?page=` and `?page_size=` (at most 100).

The `next` and `previous` links never name the address a request reached the service at: a
service sits behind the gateway, and the Host it is given is the client's, or, when the client
sent none (HTTP/1.0), the service's own private address. A link is the request's path and query
with another page (`/catalog/api/products/?page=2&page_size=1`), which the gateway serves as it
is; when `GATEWAY_PUBLIC_URL` is an absolute URL (`https://shop.example.com`), the link starts
with it instead. Paths are the same through the gateway and behind it, so either is right.

`count` is the number of results of every page, as documented; it costs a `COUNT(*)` only when
the page does not tell it. A page is read with one row more than it shows: a page that comes
back short is the last one, and its count is the rows before it plus its own (a customer's
accounts, orders or notifications: one query, not two). A full page with more after it still
asks the database to count.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core import paginator as django_paginator
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


# The largest OFFSET PostgreSQL takes (a bigint); a page beyond it has no rows anyway.
_LARGEST_OFFSET = 2**63 - 1


class Paginator(django_paginator.Paginator):
    """Django's paginator that learns the count from the last page instead of a `COUNT(*)`.

    `page(n)` reads the page's rows and one more. Fewer than that and this is the last page:
    the count is the rows of the pages before plus this page's (or, past the end, the page
    does not exist). Otherwise `count` is left to Django, which counts when it is asked.
    """

    def page(self, number: Any) -> django_paginator.Page:
        if "count" in self.__dict__ or self.orphans:  # already counted, or orphans need the count first
            return super().page(number)
        number = self._page_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if len(rows) > self.per_page:  # more after this page: the count is not known yet
            return django_paginator.Page(rows[: self.per_page], number, self)
        if not rows and (number > 1 or not self.allow_empty_first_page):
            raise django_paginator.EmptyPage(self.error_messages["no_results"])
        self.count = bottom + len(rows)  # a cached_property: what Django would have counted
        return django_paginator.Page(rows, number, self)

    def _page_number(self, number: Any) -> int:
        """`number` as a page number of at least 1, refused as Django refuses it (before any query)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise django_paginator.PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise django_paginator.EmptyPage(self.error_messages["min_page"])
        if number * (self.per_page + 1) > _LARGEST_OFFSET:  # past any table, and past PostgreSQL's bigint
            raise django_paginator.EmptyPage(self.error_messages["no_results"])
        return number


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination answering `count`, `next`, `previous` and `results`."""

    django_paginator_class = Paginator
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
