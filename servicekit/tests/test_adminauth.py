"""Admin sign-in against auth_service: staff and admins get in, customers and wrong passwords do not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.test import Client

from servicekit.stubs import JsonServer, StubRequest, json_server
from servicekit.testing import sign_token

pytestmark = pytest.mark.django_db

PEOPLE = {
    "staff@example.com": ["customer", "staff"],
    "boss@example.com": ["customer", "admin"],
    "buyer@example.com": ["customer"],
}
IDS = {email: str(uuid.uuid4()) for email in PEOPLE}


class Auth:
    """auth_service's token endpoint: a token pair for the right password, 401 otherwise."""

    def __call__(self, request: StubRequest) -> tuple[int, Any]:
        email, password = request.body.get("email"), request.body.get("password")
        if email not in PEOPLE or password != "right-password":
            return 401, {"code": "authentication_failed", "message": "No active account."}
        token = sign_token(user_id=IDS[email], email=email, roles=PEOPLE[email])
        return 200, {"access": token, "refresh": "unused"}


@pytest.fixture
def auth(settings: Any) -> Iterator[JsonServer]:
    with json_server(Auth()) as server:
        settings.AUTH_INTERNAL_URL = server.url
        yield server


def test_staff_sign_in_with_their_auth_credentials_and_get_a_shadow_user(auth: JsonServer) -> None:
    user = authenticate(username="staff@example.com", password="right-password")
    assert user is not None and user.is_staff and not user.is_superuser
    assert user.username == IDS["staff@example.com"] and user.email == "staff@example.com"
    assert not user.has_usable_password()
    assert user.has_perm("tests.view_widget") and user.has_perm("servicekit.view_outboxevent")
    assert not user.has_perm("auth.add_user")
    boss = authenticate(username="boss@example.com", password="right-password")
    assert boss is not None and boss.is_superuser


def test_customers_wrong_passwords_and_an_absent_auth_are_refused(auth: JsonServer, settings: Any) -> None:
    assert authenticate(username="buyer@example.com", password="right-password") is None
    assert authenticate(username="staff@example.com", password="wrong") is None
    settings.AUTH_INTERNAL_URL = "http://127.0.0.1:1"
    assert authenticate(username="staff@example.com", password="right-password") is None


def test_a_role_removed_in_auth_locks_the_shadow_out_at_the_next_sign_in(auth: JsonServer) -> None:
    assert authenticate(username="staff@example.com", password="right-password") is not None
    PEOPLE["staff@example.com"] = ["customer"]
    try:
        assert authenticate(username="staff@example.com", password="right-password") is None
        shadow = get_user_model().objects.get(username=IDS["staff@example.com"])
        assert not shadow.is_staff and not shadow.is_active  # its sessions no longer load a user
    finally:
        PEOPLE["staff@example.com"] = ["customer", "staff"]


def test_the_admin_login_page_asks_for_the_email_and_signs_staff_in(auth: JsonServer) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/kit/admin/login/")
    assert page.status_code == 200 and b"Email" in page.content
    token = client.cookies["kit_csrftoken"].value
    signed_in = client.post(
        "/kit/admin/login/",
        {"username": "staff@example.com", "password": "right-password", "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302
    assert client.get("/kit/admin/").status_code == 200
    refused = Client(enforce_csrf_checks=True).post(
        "/kit/admin/login/", {"username": "staff@example.com", "password": "right-password"}
    )
    assert refused.status_code == 403  # no CSRF token


def test_auth_is_told_the_client_address_the_gateway_saw(auth: JsonServer) -> None:
    # auth counts wrong passwords per email and client address: the admin's client, not this service.
    client = Client(HTTP_X_REAL_IP="198.51.100.23")
    client.post("/kit/admin/login/", {"username": "staff@example.com", "password": "wrong"})
    assert auth.received, "the admin sign-in did not reach auth"
    assert {request.headers.get("X-Real-IP") for request in auth.received} == {"198.51.100.23"}
