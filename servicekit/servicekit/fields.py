"""Serializer fields for money: integer minor units and ISO 4217 codes, nothing looser."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class AmountField(serializers.Field[int, int, int, Any]):
    """A positive whole number of minor units (cents); strings, floats and booleans are refused."""

    default_error_messages = {
        "invalid": "Amount must be a whole number of minor units (an integer, e.g. 1050 for 10.50).",
        "min_value": "Amount must be at least {min_value}.",
        "max_value": "Amount must be at most {max_value}.",
    }

    def __init__(self, *, max_value: int, min_value: int = 1, **kwargs: Any) -> None:
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


class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code from the service's list, given in upper case."""

    def __init__(self, *, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(choices=[(code, code) for code in currencies], **kwargs)
