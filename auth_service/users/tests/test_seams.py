"""Seams of the contexts: a user looked up by id, and the sign-in counters locked (made when missing)."""

import uuid

import pytest
from django.db import transaction

from servicekit.errors import NotFound
from servicekit.testing import run_concurrently
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


def test_a_counter_that_exists_is_locked_as_it_is_not_reset() -> None:
    LoginFailure.objects.create(email="ada@example.com", address="203.0.113.9", failures=3, in_flight=1)
    _, failure = sign_in_counters_for_update("ada@example.com", "203.0.113.9")
    assert (failure.failures, failure.in_flight) == (3, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ins_take_the_counters_one_after_another() -> None:
    """Each increments what it read under the lock: no increment is lost, whoever made the rows."""

    def count_one() -> None:
        with transaction.atomic():
            throttle, failure = sign_in_counters_for_update("ada@example.com", "203.0.113.9")
            failure.in_flight += 1
            failure.save(update_fields=["in_flight"])
            throttle.failures += 1
            throttle.save(update_fields=["failures"])

    outcomes = run_concurrently(count_one, 6)
    assert outcomes == [None] * 6
    assert LoginFailure.objects.get().in_flight == 6
    assert SignInThrottle.objects.get().failures == 6


def test_locking_a_user_who_is_gone_finds_none() -> None:
    assert user_for_update(uuid.uuid4()) is None
