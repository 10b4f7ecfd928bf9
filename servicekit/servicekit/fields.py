"""Serializer fields for money: integer minor units and ISO 4217 codes, nothing looser."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


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
