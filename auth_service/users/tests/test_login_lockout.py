"""The sign-in limits: per email and address a lock, per email a slow-down; only wrong answers count."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from servicekit.testing import run_concurrently
from users.models import LoginFailure, SignInThrottle, User
from users.signin import lockout
from users.signin.backends import LockoutModelBackend
from users.signin.lockout import IN_FLIGHT_EXPIRY, prune_login_failures

pytestmark = pytest.mark.django_db

TOKEN = "/auth/api/token/"
LIMIT = 3
WRONG = "not-it-at-all"


ADDRESS = "127.0.0.1"  # the test client's
ELSEWHERE = "203.0.113.9"


def _sign_in(email: str, password: str, *, address: str = ADDRESS) -> Any:
    return APIClient().post(TOKEN, {"email": email, "password": password}, format="json", HTTP_X_REAL_IP=address)


def _row(email: str, address: str = ADDRESS) -> LoginFailure | None:
    return LoginFailure.objects.filter(email=email, address=address).first()


def begin_attempt(email: str, address: str = ADDRESS) -> bool:
    return lockout.begin_attempt(email, address) is None


def finish_attempt(email: str, *, succeeded: bool | None, address: str = ADDRESS) -> None:
    lockout.finish_attempt(email, address, succeeded=succeeded)


def is_locked(email: str, address: str = ADDRESS) -> bool:
    return lockout.is_locked(email, address)


class _Checks:
    """Wraps the password check itself: counts it and notes the email's state while it runs."""

    def __init__(self, email: str, during: Callable[[], None] | None = None) -> None:
        self.email = email
        self.during = during
        self.lock = threading.Lock()
        self.evaluated = 0
        self.locked_during: list[bool] = []

    def patch(self) -> Any:
        original = ModelBackend.authenticate
        checks = self

        def counting(backend: Any, *args: Any, **kwargs: Any) -> Any:
            with checks.lock:
                checks.evaluated += 1
            if checks.during is not None:
                checks.during()
            locked = is_locked(checks.email) or is_locked(checks.email, "")
            with checks.lock:
                checks.locked_during.append(locked)
            return original(backend, *args, **kwargs)

        return mock.patch.object(ModelBackend, "authenticate", counting)


def _overlapping(parties: int) -> Callable[[], None]:
    """Hold each check until `parties` checks are running at once (or a short timeout passes)."""
    barrier = threading.Barrier(parties, timeout=3)

    def wait() -> None:
        # A late check, admitted after the first ones finished, has no partners and goes on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    return wait


@pytest.fixture
def limit() -> Iterator[int]:
    with override_settings(LOGIN_FAILURE_LIMIT=LIMIT):
        yield LIMIT


def test_more_correct_sign_ins_than_the_limit_one_after_another_never_lock(
    user: User, password: str, limit: int
) -> None:
    checks = _Checks(user.email)
    with checks.patch():
        answers = [_sign_in(user.email, password).status_code for _ in range(limit * 3)]
    assert answers == [200] * (limit * 3)
    assert checks.evaluated == limit * 3
    assert checks.locked_during == [False] * (limit * 3)
    assert _row(user.email) is None


def test_a_correct_sign_in_after_limit_minus_one_failures_is_not_a_failure(
    user: User, password: str, limit: int
) -> None:
    for _ in range(limit - 1):
        assert _sign_in(user.email, WRONG).status_code == 401
    seen: list[tuple[int, int]] = []

    def note_row() -> None:
        row = _row(user.email)
        assert row is not None
        seen.append((row.failures, row.in_flight))

    checks = _Checks(user.email, during=note_row)
    with checks.patch():
        assert _sign_in(user.email, password).status_code == 200
    # While the right password was being checked it was in flight, not a failure, and locked nothing.
    assert seen == [(limit - 1, 1)]
    assert checks.locked_during == [False]
    assert _row(user.email) is None  # the streak is over
    for _ in range(limit - 1):
        assert _sign_in(user.email, WRONG).status_code == 401
    assert _sign_in(user.email, password).status_code == 200


def test_a_correct_sign_in_beside_a_check_in_flight_resets_the_streak_and_keeps_the_check(
    user: User, password: str, limit: int
) -> None:
    assert _sign_in(user.email, WRONG).status_code == 401
    assert begin_attempt(user.email)  # another device's check, still running
    assert _sign_in(user.email, password).status_code == 200
    row = _row(user.email)
    assert row is not None
    assert (row.failures, row.in_flight, row.locked_until) == (0, 1, None)
    finish_attempt(user.email, succeeded=False)  # that check turns out wrong: a new streak of one
    row = _row(user.email)
    assert row is not None
    assert (row.failures, row.in_flight, row.locked_until) == (1, 0, None)
    assert not is_locked(user.email)


def test_as_many_checks_in_flight_as_the_limit_refuse_more_without_locking(
    user: User, password: str, limit: int
) -> None:
    for _ in range(limit):
        assert begin_attempt(user.email)
    refused = _sign_in(user.email, password)
    assert refused.status_code == 429
    assert refused.json()["code"] == "login_locked"
    assert not is_locked(user.email)
    for _ in range(limit):
        finish_attempt(user.email, succeeded=True)
    assert _row(user.email) is None
    assert _sign_in(user.email, password).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_correct_sign_ins_never_lock_the_account(user: User, password: str, limit: int) -> None:
    attempts = limit * 3
    checks = _Checks(user.email, during=_overlapping(limit))
    with checks.patch():
        outcomes = run_concurrently(lambda: _sign_in(user.email, password), attempts, timeout=60)
    answers = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(answers) == attempts, outcomes
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= limit  # the first `limit` to arrive are all checked, and all pass
    assert statuses.count(200) == checks.evaluated  # every right password checked was let in
    assert all(answer.json()["code"] == "login_locked" for answer in answers if answer.status_code == 429)
    assert checks.locked_during == [False] * checks.evaluated
    assert not is_locked(user.email)
    row = _row(user.email)
    assert row is None or (row.failures, row.in_flight, row.locked_until) == (0, 0, None)
    assert _sign_in(user.email, password).status_code == 200
    assert _sign_in(user.email, password).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_guesses_evaluate_at_most_the_limit_and_lock(user: User, limit: int) -> None:
    guesses = limit * 4
    checks = _Checks(user.email, during=_overlapping(limit))
    backend = LockoutModelBackend()
    with checks.patch():
        outcomes = run_concurrently(
            lambda: backend.authenticate(None, email=user.email, password=WRONG), guesses, timeout=60
        )
    assert checks.evaluated == limit
    assert sum(isinstance(outcome, PermissionDenied) for outcome in outcomes) == guesses - limit
    assert sum(outcome is None for outcome in outcomes) == limit
    assert is_locked(user.email, "")  # no request, no address
    row = _row(user.email, "")
    assert row is not None
    assert (row.failures, row.in_flight) == (limit, 0)


def test_a_check_in_flight_from_a_dead_worker_expires(user: User, password: str, limit: int) -> None:
    for _ in range(limit):
        assert begin_attempt(user.email)  # workers that die before finishing
    assert _sign_in(user.email, password).status_code == 429
    LoginFailure.objects.filter(email=user.email).update(
        in_flight_at=timezone.now() - IN_FLIGHT_EXPIRY + timedelta(seconds=10)
    )
    assert _sign_in(user.email, password).status_code == 429  # not yet expired
    LoginFailure.objects.filter(email=user.email).update(
        in_flight_at=timezone.now() - IN_FLIGHT_EXPIRY - timedelta(seconds=1)
    )
    assert _sign_in(user.email, password).status_code == 200
    assert _row(user.email) is None


def test_expired_checks_in_flight_leave_the_full_limit_for_guesses(user: User, password: str, limit: int) -> None:
    for _ in range(limit):
        assert begin_attempt(user.email)
    LoginFailure.objects.filter(email=user.email).update(in_flight_at=timezone.now() - IN_FLIGHT_EXPIRY * 2)
    checks = _Checks(user.email)
    with checks.patch():
        answers = [_sign_in(user.email, WRONG).status_code for _ in range(limit + 2)]
    assert answers == [401] * limit + [429, 429]
    assert checks.evaluated == limit
    row = _row(user.email)
    assert row is not None
    assert (row.failures, row.in_flight) == (limit, 0)
    assert is_locked(user.email)


def test_a_check_that_raises_releases_its_place_without_counting_a_failure(user: User, limit: int) -> None:
    with (
        mock.patch.object(ModelBackend, "authenticate", side_effect=RuntimeError("database went away")),
        pytest.raises(RuntimeError),
    ):
        LockoutModelBackend().authenticate(None, email=user.email, password=WRONG)
    row = _row(user.email, "")
    assert row is not None
    assert (row.failures, row.in_flight, row.locked_until) == (0, 0, None)


def test_a_streak_older_than_the_lockout_starts_over(user: User, limit: int) -> None:
    for _ in range(limit - 1):
        assert _sign_in(user.email, WRONG).status_code == 401
    with override_settings(LOGIN_LOCKOUT=timedelta(minutes=15)):
        LoginFailure.objects.filter(email=user.email).update(last_failed_at=timezone.now() - timedelta(minutes=16))
        assert _sign_in(user.email, WRONG).status_code == 401
    row = _row(user.email)
    assert row is not None
    assert (row.failures, row.locked_until) == (1, None)


def test_pruning_keeps_rows_with_checks_in_flight() -> None:
    old = timezone.now() - timedelta(days=1)
    assert begin_attempt("busy@example.com")
    assert begin_attempt("dead@example.com")
    assert begin_attempt("idle@example.com")
    finish_attempt("idle@example.com", succeeded=False)
    LoginFailure.objects.update(last_failed_at=old)
    LoginFailure.objects.filter(email="dead@example.com").update(in_flight_at=old)
    assert prune_login_failures(before=timezone.now() - timedelta(minutes=15)) == 2
    assert list(LoginFailure.objects.values_list("email", flat=True)) == ["busy@example.com"]


def test_a_lock_holds_one_address_only_and_the_owner_gets_in_from_elsewhere(
    user: User, password: str, limit: int
) -> None:
    for _ in range(limit):
        assert _sign_in(user.email, WRONG).status_code == 401
    locked = _sign_in(user.email, password)
    assert locked.status_code == 429 and locked.json()["code"] == "login_locked"
    # Past the limit from all addresses the email is slowed down: the first check elsewhere waits 1 s.
    SignInThrottle.objects.filter(email=user.email).update(next_check_at=None)
    assert _sign_in(user.email, password, address=ELSEWHERE).status_code == 200
    assert _sign_in(user.email, password).status_code == 429  # the guessing address stays locked


def test_guesses_from_many_addresses_are_spaced_out_not_locked(user: User, password: str, limit: int) -> None:
    addresses = [f"198.51.100.{number}" for number in range(1, limit + 1)]
    for address in addresses:
        assert _sign_in(user.email, WRONG, address=address).status_code == 401
    assert not any(is_locked(user.email, address) for address in addresses)
    throttled = _sign_in(user.email, WRONG, address="198.51.100.200")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "login_throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 2
    # Once the pause is over one more check is admitted; a wrong one doubles the next pause.
    SignInThrottle.objects.filter(email=user.email).update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert _sign_in(user.email, WRONG, address="198.51.100.201").status_code == 401
    throttle = SignInThrottle.objects.get(email=user.email)
    assert throttle.failures == limit + 1
    assert throttle.next_check_at is not None
    assert timedelta(seconds=1) < throttle.next_check_at - timezone.now() <= timedelta(seconds=2)
    SignInThrottle.objects.filter(email=user.email).update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert _sign_in(user.email, password, address="192.0.2.7").status_code == 200
    assert not SignInThrottle.objects.filter(email=user.email).exists()  # a success ends the streak


def test_the_slowdown_pause_is_capped(user: User, limit: int) -> None:
    with override_settings(LOGIN_SLOWDOWN_MAX=timedelta(seconds=60)):
        assert lockout._slowdown(limit + 30) == timedelta(seconds=60)
        assert lockout._slowdown(limit + 2) == timedelta(seconds=4)
