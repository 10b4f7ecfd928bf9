"""Addresses in one form, and the look-alikes refused."""

import pytest
from django.core.exceptions import ValidationError

from users.people.addresses import normalize_email, validated_new_email


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("\uff41da@example.com", "ada@example.com"),  # full-width letters
        ("jos\u00e9@example.com", "jos\u00e9@example.com"),  # an accented letter is its plain one
        ("\u0438\u0432\u0430\u043d@example.com", "\u0438\u0432\u0430\u043d@example.com"),  # all Cyrillic is fine
    ],
)
def test_addresses_are_kept_in_one_form(typed: str, stored: str) -> None:
    assert validated_new_email(typed) == stored
    assert normalize_email(typed) == stored


@pytest.mark.parametrize(
    "address",
    [
        "bars-adm\u0131n@example.com",  # a dotless i among ASCII letters
        "b\u0430rs@example.com",  # a Cyrillic a among Latin letters
        "bars@ex\u0430mple.com",  # the same in the domain
        "bars-admin@example.com\u200b",  # a zero-width space
        "bars\u200d-admin@example.com",  # a zero-width joiner
        "bars\u00ad-admin@example.com",  # a soft hyphen
        "not an address",
        "two@@example.com",
    ],
)
def test_look_alike_invisible_and_broken_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        validated_new_email(address)
