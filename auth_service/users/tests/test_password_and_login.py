from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from servicekit.testing import run_concurrently
from users.models import User
from users.tokens.issuing import token_pair_for

pytestmark = pytest.mark.django_db

TOKEN = "/auth/api/token/"
PASSWORD = "/auth/api/me/password/"


def test_password_change_needs_the_old_password(signed_in: Callable[[User], APIClient], user: User) -> None:
    response = signed_in(user).post(
        PASSWORD, {"old_password": "wrong-one-123", "new_password": "a-new-long-passphrase"}
    )
    assert response.status_code == 400
    assert "old_password" in response.json()["fields"]


def test_password_change_validates_the_new_password(
    signed_in: Callable[[User], APIClient], user: User, password: str
) -> None:
    response = signed_in(user).post(PASSWORD, {"old_password": password, "new_password": "password"})
    assert response.status_code == 400
    assert "new_password" in response.json()["fields"]


def test_password_change_revokes_other_sessions_and_returns_a_new_pair(
    signed_in: Callable[[User], APIClient], user: User, password: str
) -> None:
    other_session = token_pair_for(user)["refresh"]
    response = signed_in(user).post(PASSWORD, {"old_password": password, "new_password": "a-new-long-passphrase"})
    assert response.status_code == 200
    assert APIClient().post("/auth/api/token/refresh/", {"refresh": other_session}).status_code == 401
    assert APIClient().post("/auth/api/token/refresh/", {"refresh": response.json()["refresh"]}).status_code == 200
    assert APIClient().post(TOKEN, {"email": user.email, "password": "a-new-long-passphrase"}).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_email_even_for_the_right_password(user: User, password: str) -> None:
    client = APIClient()
    for _ in range(3):
        assert client.post(TOKEN, {"email": user.email, "password": "not-it-at-all"}).status_code == 401
    locked = client.post(TOKEN, {"email": user.email, "password": password})
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_a_locked_unknown_email_answers_exactly_like_a_locked_account(user: User) -> None:
    client = APIClient()
    answers: dict[str, Any] = {}
    for email in (user.email, "nobody@example.com"):
        for _ in range(3):
            client.post(TOKEN, {"email": email, "password": "not-it-at-all"})
        response = client.post(TOKEN, {"email": email, "password": "not-it-at-all"})
        answers[email] = (response.status_code, response.json()["code"], response.json()["message"])
    assert answers[user.email] == answers["nobody@example.com"] == (429, "login_locked", answers[user.email][2])


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_a_successful_sign_in_resets_the_failure_count(user: User, password: str) -> None:
    client = APIClient()
    for _ in range(2):
        client.post(TOKEN, {"email": user.email, "password": "not-it-at-all"})
    assert client.post(TOKEN, {"email": user.email, "password": password}).status_code == 200
    for _ in range(2):
        client.post(TOKEN, {"email": user.email, "password": "not-it-at-all"})
    assert client.post(TOKEN, {"email": user.email, "password": password}).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_failures_at_the_admin_login_count_towards_the_lock(client: Any, user: User, password: str) -> None:
    for _ in range(3):
        client.post("/auth/admin/login/", {"username": user.email, "password": "not-it-at-all"})
    assert APIClient().post(TOKEN, {"email": user.email, "password": password}).status_code == 429


@override_settings(LOGIN_FAILURE_LIMIT=3)
@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_are_evaluated_at_most_the_limit_times(user: User) -> None:
    from unittest import mock

    from django.contrib.auth.backends import ModelBackend

    evaluated = []
    original = ModelBackend.authenticate

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        evaluated.append(1)
        return original(self, *args, **kwargs)

    def guess() -> int:
        return APIClient().post(TOKEN, {"email": user.email, "password": "not-it-at-all"}, format="json").status_code

    with mock.patch.object(ModelBackend, "authenticate", counting):
        statuses = run_concurrently(guess, 10)
    assert set(statuses) <= {401, 429}, statuses  # wrong, or refused unchecked
    assert len(evaluated) <= 3
