"""What the services' list views share: a FilterSet built only when asked, timestamps written as DRF does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import django_filters
import pytest
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
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
    assert api._unasked_filters_nothing(WidgetFilter)  # known per class, before the FilterSet is watched
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


class NotEmptyFilter(django_filters.CharFilter):
    """A filter of its own that acts on an empty value: hides the widgets named "hidden" then."""

    def filter(self, qs: Any, value: Any) -> Any:
        return qs.exclude(name="hidden") if not value else qs.filter(name=value)


class OwnFilterFilter(django_filters.FilterSet):
    name = NotEmptyFilter()

    class Meta:
        model = Widget
        fields = ["name"]


class RequiredFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name", required=True)

    class Meta:
        model = Widget
        fields = ["name"]


@pytest.mark.parametrize("filterset_class", [HiddenUnlessAskedFilter, OwnFilterFilter])
def test_a_filterset_that_could_filter_when_given_nothing_is_always_built(filterset_class: type[Any]) -> None:
    Widget.objects.create(name="shown")
    Widget.objects.create(name="hidden")
    assert [widget.name for widget in _filtered(filterset_class, "")] == ["shown"]
    assert [widget.name for widget in _filtered(filterset_class, "page=1")] == ["shown"]


def test_a_required_filter_left_out_is_still_a_400() -> None:
    with pytest.raises(ValidationError):
        _filtered(RequiredFilter, "page=1")


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


def test_a_timestamp_in_another_time_zone_or_given_as_text_is_still_what_drf_writes() -> None:
    from django.utils import timezone as django_timezone

    value = datetime(2026, 11, 30, 9, 12, 32, tzinfo=UTC)
    with django_timezone.override("Europe/Paris"):
        assert timestamp(value) == serializers.DateTimeField().to_representation(value) == "2026-11-30T10:12:32+01:00"
    assert timestamp("2026-11-30T09:12:32Z") == "2026-11-30T09:12:32Z"  # type: ignore[arg-type]
