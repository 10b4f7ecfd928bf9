"""A flat output serializer answers exactly what DRF's walk over its declared fields answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import models
from rest_framework import serializers

from servicekit.serializers import FlatOutputSerializer


class Colour(models.TextChoices):
    RED = "red", "Red"
    BLUE = "blue", "Blue"


class ThingOutputSerializer(FlatOutputSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    shown = serializers.BooleanField(read_only=True)
    colour = serializers.ChoiceField(choices=Colour.choices, read_only=True)
    owner_id = serializers.UUIDField(read_only=True, allow_null=True)
    at = serializers.DateTimeField(read_only=True)
    title_text = serializers.CharField(source="title", read_only=True)


class NestedOutputSerializer(FlatOutputSerializer):
    id = serializers.UUIDField(read_only=True)
    thing = ThingOutputSerializer(read_only=True)


def _thing(**changes: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": "Espresso",
        "count": 3,
        "shown": True,
        "colour": Colour.BLUE,
        "owner_id": None,
        "at": datetime(2026, 11, 30, 9, 12, 32, 150531, tzinfo=UTC),
        "title": "A title",
    }
    return SimpleNamespace(**{**values, **changes})


def _drf(serializer: serializers.Serializer[Any], instance: Any) -> dict[str, Any]:
    return dict(serializers.Serializer.to_representation(serializer, instance))


@pytest.mark.parametrize(
    "thing",
    [
        _thing(),
        _thing(owner_id=uuid.uuid4(), shown=False, count=0, colour="red", name=""),
        _thing(at=datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=-5)))),
        _thing(at=None, name=None),
    ],
)
def test_a_flat_answer_is_the_answer_of_the_declared_fields(thing: SimpleNamespace) -> None:
    serializer = ThingOutputSerializer()
    assert ThingOutputSerializer.plan() is not None
    assert serializer.to_representation(thing) == _drf(serializer, thing)
    many = ThingOutputSerializer([thing, thing], many=True).data
    assert [dict(row) for row in many] == [_drf(serializer, thing)] * 2


def test_a_serializer_with_a_field_it_does_not_know_answers_the_drf_way() -> None:
    assert NestedOutputSerializer.plan() is None
    answer = NestedOutputSerializer(SimpleNamespace(id=uuid.uuid4(), thing=_thing())).data
    assert answer["thing"]["name"] == "Espresso" and answer["thing"]["title_text"] == "A title"


class WithDataOutputSerializer(FlatOutputSerializer):
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]  # a field, popped by DRF


def test_json_is_answered_as_it_is() -> None:
    thing = SimpleNamespace(data={"order_id": "x", "lines": [1, 2]})
    serializer = WithDataOutputSerializer()
    assert WithDataOutputSerializer.plan() is not None
    assert serializer.to_representation(thing) == _drf(serializer, thing)


def test_a_mapping_a_missing_attribute_or_a_method_is_answered_the_drf_way() -> None:
    serializer = ThingOutputSerializer()
    as_dict = dict(vars(_thing()))
    assert serializer.to_representation(as_dict) == _drf(serializer, as_dict)
    with_method = _thing(name=lambda: "Made by a method")
    assert serializer.to_representation(with_method) == _drf(serializer, with_method)
    assert serializer.to_representation(with_method)["name"] == "Made by a method"
    missing = _thing()
    del missing.count
    assert serializer.to_representation(missing) == _drf(serializer, missing)
    assert "count" not in serializer.to_representation(missing)  # DRF leaves a read-only field out
