"""Seams of the contexts: a user looked up by id, and the sign-in counters locked (made when missing)."""

import uuid

import pytest

from servicekit.errors import NotFound
from users.locks import sign_in_counters_for_update, user_for_update
from users.models import LoginFailure, SignInThrottle, User
from users.people.selectors import user_get

pytestmark = pytest.mark.django_db


def test_a_user_is_found_by_id_and_an_unknown_id_is_not_found(user: User) -> None:
    assert user_get(user_id=user.id) == user
    with pytest.raises(NotFound):
        user_get(user_id=uuid.uuid4())


def test_the_sign_in_counters_are_made_when_missing_and_the_same_rows_next_time() -> None:
    throttle, failure = sign_in_counters_for_update("ada@example.com", "203.0.113.9")
    assert (throttle.email, throttle.failures) == ("ada@example.com", 0)
    assert (failure.email, failure.address, failure.failures) == ("ada@example.com", "203.0.113.9", 0)
    deleted = failure.pk
    failure.delete()  # an admin unlocks the address meanwhile
    again_throttle, again_failure = sign_in_counters_for_update("ada@example.com", "203.0.113.9")
    assert again_throttle.pk == throttle.pk
    assert LoginFailure.objects.count() == 1 and SignInThrottle.objects.count() == 1
    assert again_failure.pk != deleted


def test_locking_a_user_who_is_gone_finds_none() -> None:
    assert user_for_update(uuid.uuid4()) is None
