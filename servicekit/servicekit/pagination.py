"""The one pagination every list uses: `?page=` and `?page_size=` (at most 100)."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination answering `count`, `next`, `previous` and `results`."""

    page_size_query_param = "page_size"
    max_page_size = 100
