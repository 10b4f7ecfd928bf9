"""Serializer fields: money (integer minor units, ISO 4217 codes, nothing looser) and timestamps as DRF writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

_DRF_TIMESTAMP = serializers.DateTimeField(read_only=True)


def _utc() -> bool:
    return bool(settings.USE_TZ) and timezone.get_current_timezone_name() == "UTC"


def timestamp(value: datetime | None) -> str | None:
    """The text DRF's DateTimeField writes for `value` (ISO 8601, UTC as `Z`), for answers built by hand.

    DRF's field converts to the current time zone and formats, a tenth of a product page's CPU
    for its 40 timestamps; with every service on UTC that is one conversion and `isoformat()`.
    """
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or not _utc():
        return str(_DRF_TIMESTAMP.to_representation(value))
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class StrictIntegerField(serializers.Field[int, int, int, Any]):
    """A JSON integer within bounds; strings ("5"), floats (5.0) and booleans are refused."""

    default_error_messages = {
        "invalid": "Must be a whole number (a JSON integer).",
        "min_value": "Must be at least {min_value}.",
        "max_value": "Must be at most {max_value}.",
    }

    def __init__(self, *, max_value: int, min_value: int = 0, **kwargs: Any) -> None:
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if data < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        if data > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        return data

    def to_representation(self, value: int) -> int:
        return value


class AmountField(StrictIntegerField):
    """A positive whole number of minor units (cents) by default; strings, floats and booleans are refused."""

    default_error_messages = {
        "invalid": "Amount must be a whole number of minor units (an integer, e.g. 1050 for 10.50).",
        "min_value": "Amount must be at least {min_value}.",
        "max_value": "Amount must be at most {max_value}.",
    }

    def __init__(self, *, max_value: int, min_value: int = 1, **kwargs: Any) -> None:
        super().__init__(max_value=max_value, min_value=min_value, **kwargs)


class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code from the service's list, given in upper case."""

    def __init__(self, *, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(choices=[(code, code) for code in currencies], **kwargs)
