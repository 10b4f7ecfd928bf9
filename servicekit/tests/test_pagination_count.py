"""A page's `count` costs a COUNT(*) only when the page itself cannot tell it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from servicekit.pagination import PageNumberPagination
from tests.models import Widget

pytestmark = pytest.mark.django_db


def _page(query: str) -> tuple[dict[str, Any], list[str]]:
    """The paginated answer for `?query` over every widget by id, and the SQL it ran."""
    paginator = PageNumberPagination()
    request = Request(APIRequestFactory().get(f"/kit/api/widgets/?{query}"))
    with CaptureQueriesContext(connection) as queries:
        rows = paginator.paginate_queryset(Widget.objects.order_by("id"), request)
        assert rows is not None
        answer = paginator.get_paginated_response([widget.name for widget in rows]).data
    return answer, [query["sql"] for query in queries.captured_queries]


def _counts(sql: list[str]) -> int:
    return sum("COUNT(" in statement.upper() for statement in sql)


@pytest.fixture
def widgets() -> list[str]:
    names = [f"w{number}" for number in range(5)]
    Widget.objects.bulk_create(Widget(name=name) for name in names)
    return names


def test_a_short_first_page_is_one_query_and_counts_its_rows(widgets: list[str]) -> None:
    answer, sql = _page("page_size=10")
    assert (answer["count"], answer["next"], answer["previous"], answer["results"]) == (5, None, None, widgets)
    assert len(sql) == 1 and _counts(sql) == 0


def test_the_last_page_counts_the_pages_before_it(widgets: list[str]) -> None:
    answer, sql = _page("page_size=2&page=3")
    assert (answer["count"], answer["next"], answer["results"]) == (5, None, ["w4"])
    assert answer["previous"] == "/kit/api/widgets/?page=2&page_size=2"
    assert len(sql) == 1 and _counts(sql) == 0


def test_a_full_page_with_more_after_it_still_counts_them_all(widgets: list[str]) -> None:
    answer, sql = _page("page_size=2&page=2")
    assert (answer["count"], answer["results"]) == (5, ["w2", "w3"])
    assert answer["next"] == "/kit/api/widgets/?page=3&page_size=2"
    assert _counts(sql) == 1


def test_a_last_page_exactly_full_is_the_last(widgets: list[str]) -> None:
    answer, sql = _page("page_size=5")
    assert (answer["count"], answer["next"], answer["results"]) == (5, None, widgets)
    assert _counts(sql) == 0


def test_no_rows_is_an_empty_first_page() -> None:
    answer, sql = _page("")
    assert (answer["count"], answer["next"], answer["previous"], answer["results"]) == (0, None, None, [])
    assert len(sql) == 1


@pytest.mark.parametrize("page", ["4", "0", "-1", "two", "1.5"])
def test_a_page_that_does_not_exist_is_not_found_as_before(widgets: list[str], page: str) -> None:
    with pytest.raises(NotFound):
        _page(f"page_size=2&page={page}")


@pytest.mark.parametrize("page", ["340000000000000000000", "3.4e20", str(2**62)])
def test_a_page_far_past_any_table_is_not_found_without_a_query(widgets: list[str], page: str) -> None:
    with CaptureQueriesContext(connection) as queries, pytest.raises(NotFound):
        _page(f"page_size=2&page={page}")
    assert queries.captured_queries == []


def test_last_names_the_last_page(widgets: list[str]) -> None:
    answer, _ = _page("page_size=2&page=last")
    assert (answer["count"], answer["results"]) == (5, ["w4"])
