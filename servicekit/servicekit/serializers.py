"""Output serializers whose answers are built without DRF's per-request copy of their fields.

A DRF serializer copies every declared field (`copy.deepcopy`) each time it is made, and walks
them one by one: for a small answer, more CPU than the query behind it. `FlatOutputSerializer`
keeps the declared fields (the schema and the documentation come from them, as before) and, when
every one is a plain field it knows, writes the answer from a plan made once per class: the same
text DRF writes (`test_serializers.py` compares them field type by field type). Any other field (a
nested serializer, a method field, a dotted `source`) makes the class answer the DRF way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rest_framework import serializers
from rest_framework.settings import api_settings

from servicekit.fields import timestamp

Writer = Callable[[Any], Any]


def _writer(field: Any) -> Writer | None:
    """How DRF writes a value of this (unbound, declared) field, when it is one of the plain kinds."""
    kind = type(field)
    if kind is serializers.UUIDField and field.uuid_format == "hex_verbose":
        return str
    if kind is serializers.CharField:
        return str
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.BooleanField:
        return field.to_representation
    if kind is serializers.JSONField and not field.binary:
        return _unchanged
    if kind is serializers.ChoiceField:
        choices = field.choice_strings_to_values
        return lambda value: value if value == "" else choices.get(str(value), value)
    if (
        kind is serializers.DateTimeField
        and getattr(field, "timezone", None) is None
        and getattr(field, "format", serializers.empty) in (serializers.empty, api_settings.DATETIME_FORMAT)
        and api_settings.DATETIME_FORMAT == "iso-8601"
    ):
        return timestamp
    return None


def _unchanged(value: Any) -> Any:
    return value


# A read-only serializer of plain fields (UUID, text, number, boolean, choice, JSON, time) answered
# by a plan. No docstring: drf-spectacular describes an answer by the first docstring it finds in
# its serializer's classes, and a serializer without one of its own would be described by this.
class FlatOutputSerializer(serializers.Serializer[Any]):
    _plans: ClassVar[dict[type[Any], list[tuple[str, str, Writer]] | None]] = {}

    @classmethod
    def plan(cls) -> list[tuple[str, str, Writer]] | None:
        """(name, attribute, writer) per declared field, in order; None when a field is not a plain one."""
        if cls not in FlatOutputSerializer._plans:
            steps: list[tuple[str, str, Writer]] = []
            for name, field in cls._declared_fields.items():
                source = field.source or name
                writer = _writer(field)
                if (
                    writer is None
                    or not isinstance(source, str)
                    or "." in source
                    or source == "*"
                    or not field.read_only
                ):
                    break
                steps.append((name, source, writer))
            else:
                FlatOutputSerializer._plans[cls] = steps
            FlatOutputSerializer._plans.setdefault(cls, None)
        return FlatOutputSerializer._plans[cls]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        steps = self.plan()
        if steps is None or isinstance(instance, Mapping):
            return dict(super().to_representation(instance))
        answer: dict[str, Any] = {}
        for name, source, write in steps:
            value = getattr(instance, source, _MISSING)
            if value is _MISSING or callable(value):  # DRF skips, defaults or calls it: let it
                return dict(super().to_representation(instance))
            answer[name] = None if value is None else write(value)
        return answer


_MISSING = object()
