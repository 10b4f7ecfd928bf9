"""What the services' list views share: a FilterSet built only when asked, timestamps written as DRF does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import django_filters
import pytest
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from servicekit import api
from servicekit.fields import timestamp
from tests.models import Widget

pytestmark = pytest.mark.django_db


class WidgetFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name")
    made = django_filters.DateFromToRangeFilter(field_name="id")  # `made_after`, `made_before`

    class Meta:
        model = Widget
        fields = ["name", "made"]


class HiddenUnlessAskedFilter(django_filters.FilterSet):
    """Filters even when given nothing: hides the widgets named "hidden"."""

    name = django_filters.CharFilter(field_name="name")

    class Meta:
        model = Widget
        fields = ["name"]

    @property
    def qs(self) -> QuerySet[Widget]:
        return super().qs.exclude(name="hidden")


def _request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/kit/api/widgets/?{query}"))


def _filtered(filterset_class: type[Any], query: str) -> QuerySet[Widget]:
    return api.filtered(filterset_class, _request(query), Widget.objects.order_by("id"))


def test_a_list_asked_for_no_filter_is_not_filtered_and_the_filterset_is_not_built(monkeypatch: Any) -> None:
    Widget.objects.create(name="a")
    _filtered(WidgetFilter, "")  # the first unasked request learns that the FilterSet does nothing then
    built: list[object] = []
    monkeypatch.setattr(WidgetFilter, "__init__", lambda *args, **kwargs: built.append(args))
    queryset = Widget.objects.order_by("id")
    assert api.filtered(WidgetFilter, _request("page=2&page_size=5"), queryset) is queryset
    assert built == []


def test_a_named_filter_or_a_range_part_of_one_builds_the_filterset() -> None:
    Widget.objects.create(name="a")
    Widget.objects.create(name="b")
    assert [widget.name for widget in _filtered(WidgetFilter, "name=b")] == ["b"]
    assert api._names_a_filter(WidgetFilter, {"made_after": "2026-01-01"})
    assert not api._names_a_filter(WidgetFilter, {"page": "1", "page_size": "5", "names": "x"})


def test_a_filterset_that_filters_when_given_nothing_is_always_built() -> None:
    Widget.objects.create(name="shown")
    Widget.objects.create(name="hidden")
    assert [widget.name for widget in _filtered(HiddenUnlessAskedFilter, "")] == ["shown"]
    assert [widget.name for widget in _filtered(HiddenUnlessAskedFilter, "page=1")] == ["shown"]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 30, 9, 12, 32, 150531, tzinfo=UTC),
        datetime(2026, 11, 30, 9, 12, 32, tzinfo=UTC),  # no microseconds: none written
        datetime(2026, 11, 30, 11, 12, 32, 5, tzinfo=timezone(timedelta(hours=2))),  # written in UTC
    ],
)
def test_a_timestamp_is_the_text_drf_writes(value: datetime) -> None:
    assert timestamp(value) == serializers.DateTimeField().to_representation(value)


def test_no_timestamp_is_null() -> None:
    assert timestamp(None) is None
