"""Codes by email: verifying an address, resending, resetting a password; and the discovery document."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from servicekit.auth import get_verifier
from users.models import OneTimeCode, RefreshTokenRecord, User
from users.people import codes
from users.people.codes import Checked, Purpose
from users.tokens.issuing import token_pair_for

pytestmark = pytest.mark.django_db

VERIFY = "/auth/api/email/verify/"
RESEND = "/auth/api/email/verify/resend/"
RESET = "/auth/api/password/reset/"
CONFIRM = "/auth/api/password/reset/confirm/"
NEW_PASSWORD = "a-brand-new-passphrase"


def _last_code(address: str) -> str:
    message = next(message for message in reversed(mail.outbox) if address in message.to)
    found = re.search(r"\bis ([0-9]{6})\b", str(message.body))
    assert found, message.body
    return found.group(1)


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_registration_emails_a_verification_code_and_stores_only_its_hash(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/auth/api/register/", {"email": "new@example.com", "password": "a-long-passphrase-9"}, format="json"
        )
    assert response.status_code == 201
    code = _last_code("new@example.com")
    assert mail.outbox[-1].subject == "Your verification code"
    stored = OneTimeCode.objects.get(user__email="new@example.com")
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert code not in response.content.decode()


def test_the_right_code_verifies_the_address_and_the_new_token_says_so(
    signed_in: Callable[[User], APIClient], user: User
) -> None:
    code = codes.code_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    response = signed_in(user).post(VERIFY, {"code": code}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["email_verified"] is True
    assert get_verifier().decode(response.json()["access"])["email_verified"] is True
    user.refresh_from_db()
    assert user.email_verified is True


def test_a_code_allows_five_wrong_tries_then_nothing(signed_in: Callable[[User], APIClient], user: User) -> None:
    code = codes.code_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    client = signed_in(user)
    for _ in range(codes.MAX_WRONG_TRIES):
        wrong = client.post(VERIFY, {"code": _other(code)}, format="json")
        assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_code"
    assert client.post(VERIFY, {"code": code}, format="json").json()["code"] == "invalid_code"


def test_an_expired_code_is_refused(signed_in: Callable[[User], APIClient], user: User) -> None:
    code = codes.code_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert signed_in(user).post(VERIFY, {"code": code}, format="json").json()["code"] == "invalid_code"


def test_a_new_code_replaces_the_old_one(user: User) -> None:
    first = codes.code_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    second = codes.code_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    if first != second:
        assert codes.code_check(user=user, purpose=Purpose.VERIFY_EMAIL, code=first) is Checked.WRONG
    assert codes.code_check(user=user, purpose=Purpose.VERIFY_EMAIL, code=second) is Checked.MATCHES
    assert codes.code_check(user=user, purpose=Purpose.VERIFY_EMAIL, code=second) is Checked.UNUSABLE  # once


def test_a_code_for_one_purpose_does_not_serve_another(user: User) -> None:
    code = codes.code_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    assert codes.code_check(user=user, purpose=Purpose.RESET_PASSWORD, code=code) is Checked.UNUSABLE


@override_settings(CODE_RESEND_SECONDS=60)
def test_a_new_code_is_sent_at_most_once_a_minute(
    signed_in: Callable[[User], APIClient], user: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(RESEND).status_code == 202
    too_soon = client.post(RESEND)
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "code_recently_sent"
    assert 1 <= int(too_soon["Retry-After"]) <= 60
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(RESEND).status_code == 202
    assert len(mail.outbox) == 2


def test_a_verified_address_needs_no_new_code(signed_in: Callable[[User], APIClient], user: User) -> None:
    User.objects.filter(pk=user.pk).update(email_verified=True)
    user.refresh_from_db()
    answer = signed_in(user).post(RESEND)
    assert answer.status_code == 409 and answer.json()["code"] == "email_already_verified"


def test_a_password_reset_answers_the_same_for_any_address(user: User, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = APIClient().post(RESET, {"email": user.email}, format="json")
        unknown = APIClient().post(RESET, {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert mail.outbox[0].subject == "Your password reset code"


def test_a_reset_code_sets_the_password_once_and_ends_every_session(
    user: User, password: str, django_capture_on_commit_callbacks: Any
) -> None:
    session = token_pair_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(RESET, {"email": user.email}, format="json")
    code = _last_code(user.email)
    body = {"email": user.email, "code": code, "new_password": NEW_PASSWORD}
    weak = APIClient().post(CONFIRM, {**body, "new_password": "short"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        done = APIClient().post(CONFIRM, body, format="json")
    assert done.status_code == 200, done.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(password)
    assert user.email_verified is True  # the code reached the address
    assert RefreshTokenRecord.objects.get(
        jti=get_verifier().decode(session["refresh"], token_type="refresh")["jti"]
    ).revoked_at
    assert APIClient().post(CONFIRM, body, format="json").json()["code"] == "invalid_code"


def test_staff_can_mark_an_address_verified(signed_in: Callable[[User], APIClient], user: User) -> None:
    admin = User.objects.create_superuser(email="root@example.com", password="a-long-admin-passphrase")
    answer = signed_in(admin).patch(f"/auth/api/users/{user.id}/", {"email_verified": True}, format="json")
    assert answer.status_code == 200 and answer.json()["email_verified"] is True
    customer = signed_in(user).patch(f"/auth/api/users/{user.id}/", {"email_verified": True}, format="json")
    assert customer.status_code == 403


def test_the_discovery_document_names_the_issuer_keys_and_algorithm() -> None:
    answer = APIClient().get("/auth/.well-known/openid-configuration", HTTP_HOST="localhost:8080")
    assert answer.status_code == 200
    document = answer.json()
    assert document["issuer"] == "shop-auth"
    assert document["jwks_uri"] == "http://localhost:8080/auth/.well-known/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


@override_settings(GATEWAY_PUBLIC_URL="https://shop.example.com")
def test_the_discovery_document_uses_the_public_url_when_one_is_set() -> None:
    document = APIClient().get("/auth/.well-known/openid-configuration").json()
    assert document["jwks_uri"] == "https://shop.example.com/auth/.well-known/jwks.json"
