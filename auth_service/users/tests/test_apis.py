from typing import Any

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from servicekit.auth import get_verifier
from users.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/auth/api/register/"
TOKEN = "/auth/api/token/"
REFRESH = "/auth/api/token/refresh/"
VERIFY = "/auth/api/token/verify/"
ME = "/auth/api/me/"


def _error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "fields", "request_id"}, body
    return body


def test_register_creates_a_customer_and_returns_a_token_pair(api_client: APIClient) -> None:
    response = api_client.post(
        REGISTER, {"email": "Grace@Example.com", "password": "a-long-passphrase-9", "full_name": "Grace"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "grace@example.com"
    assert body["user"]["roles"] == ["customer"]
    claims = get_verifier().decode(body["access"])
    assert claims["user_id"] == body["user"]["id"]
    assert claims["email"] == "grace@example.com"
    assert claims["roles"] == ["customer"]
    assert jwt.get_unverified_header(body["access"])["alg"] == "RS256"
    assert get_verifier().decode(body["refresh"], token_type="refresh")["user_id"] == body["user"]["id"]


def test_tokens_carry_every_required_claim(api_client: APIClient, user: User, password: str) -> None:
    response = api_client.post(TOKEN, {"email": user.email, "password": password})
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access"], options={"verify_signature": False})
    assert {"exp", "iat", "jti", "iss", "aud", "token_type", "user_id", "email", "roles"} <= set(claims)
    assert claims["iss"] == settings.JWT_ISSUER
    assert claims["aud"] == settings.JWT_AUDIENCE


def test_register_rejects_a_duplicate_email_ignoring_case(api_client: APIClient, user: User) -> None:
    response = api_client.post(REGISTER, {"email": "ADA@example.com", "password": "a-long-passphrase-9"})
    assert response.status_code == 400
    body = _error(response)
    assert body["code"] == "validation_error"
    assert "email" in body["fields"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "new@example.com", "password": "short"}, "password"),
        ({"email": "new@example.com", "password": "password123"}, "password"),
        ({"email": "new@example.com", "password": "12345678901234"}, "password"),
        ({"email": "not-an-email", "password": "a-long-passphrase-9"}, "email"),
        ({"password": "a-long-passphrase-9"}, "email"),
        ({"email": "new@example.com"}, "password"),
        ({"email": ["a@example.com"], "password": "a-long-passphrase-9"}, "email"),
        ({"email": "new@example.com", "password": {"x": 1}}, "password"),
    ],
)
def test_register_rejects_bad_input_with_field_errors(
    api_client: APIClient, payload: dict[str, Any], field: str
) -> None:
    response = api_client.post(REGISTER, payload)
    assert response.status_code == 400, response.content
    assert field in _error(response)["fields"]
    assert not User.objects.filter(email="new@example.com").exists()


def test_register_rejects_malformed_json(api_client: APIClient) -> None:
    response = api_client.post(REGISTER, data='{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


def test_register_rejects_a_non_object_body(api_client: APIClient) -> None:
    response = api_client.post(REGISTER, data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "validation_error"


def test_register_rejects_other_content_types(api_client: APIClient) -> None:
    response = api_client.post(REGISTER, data="email=a", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_token_with_unknown_email_and_wrong_password_look_the_same(api_client: APIClient, user: User) -> None:
    unknown = api_client.post(TOKEN, {"email": "nobody@example.com", "password": "whatever-it-is"})
    wrong = api_client.post(TOKEN, {"email": user.email, "password": "not-the-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert _error(unknown)["code"] == _error(wrong)["code"] == "no_active_account"
    assert unknown.json()["message"] == wrong.json()["message"]


def test_token_login_ignores_email_case(api_client: APIClient, user: User, password: str) -> None:
    response = api_client.post(TOKEN, {"email": "ADA@EXAMPLE.COM", "password": password})
    assert response.status_code == 200


def test_token_refuses_an_inactive_user(api_client: APIClient, user: User, password: str) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = api_client.post(TOKEN, {"email": user.email, "password": password})
    assert response.status_code == 401


def test_token_requires_both_fields(api_client: APIClient) -> None:
    response = api_client.post(TOKEN, {"email": "a@example.com"})
    assert response.status_code == 400
    assert "password" in _error(response)["fields"]


def test_refresh_returns_a_new_access_token_with_the_same_claims(
    api_client: APIClient, user: User, password: str
) -> None:
    pair = api_client.post(TOKEN, {"email": user.email, "password": password}).json()
    response = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert response.status_code == 200
    claims = get_verifier().decode(response.json()["access"])
    assert claims["user_id"] == str(user.id)
    assert claims["roles"] == ["customer"]


def test_refresh_refuses_an_access_token(api_client: APIClient, user: User, password: str) -> None:
    pair = api_client.post(TOKEN, {"email": user.email, "password": password}).json()
    response = api_client.post(REFRESH, {"refresh": pair["access"]})
    assert response.status_code == 401
    assert _error(response)["code"] == "token_wrong_type"


def test_verify_accepts_a_valid_token_and_refuses_a_tampered_one(
    api_client: APIClient, user: User, password: str
) -> None:
    access = api_client.post(TOKEN, {"email": user.email, "password": password}).json()["access"]
    assert api_client.post(VERIFY, {"token": access}).status_code == 200
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    response = api_client.post(VERIFY, {"token": tampered})
    assert response.status_code == 401
    assert _error(response)["code"] == "token_not_valid"


def test_me_returns_the_signed_in_user(api_client: APIClient, user: User, password: str) -> None:
    access = api_client.post(TOKEN, {"email": user.email, "password": password}).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api_client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert "password" not in response.json()


def test_me_patch_changes_the_name_only(api_client: APIClient, user: User, password: str) -> None:
    access = api_client.post(TOKEN, {"email": user.email, "password": password}).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api_client.patch(ME, {"full_name": "Countess of Lovelace", "email": "x@example.com", "roles": ["admin"]})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.full_name == "Countess of Lovelace"
    assert user.email == "ada@example.com"
    assert user.roles == ["customer"]


def test_me_rejects_a_too_long_name(client_as: Any, api_client: APIClient, user: User, password: str) -> None:
    access = api_client.post(TOKEN, {"email": user.email, "password": password}).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api_client.patch(ME, {"full_name": "x" * 151})
    assert response.status_code == 400
    assert "full_name" in _error(response)["fields"]


def test_me_refuses_a_valid_token_of_a_deactivated_user(api_client: APIClient, user: User, password: str) -> None:
    access = api_client.post(TOKEN, {"email": user.email, "password": password}).json()["access"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api_client.get(ME)
    assert response.status_code == 401
    assert _error(response)["code"] == "user_not_found"


def test_me_refuses_anonymous_callers(api_client: APIClient) -> None:
    response = api_client.get(ME)
    assert response.status_code == 401


def test_registering_and_changing_the_password_publish_events(api_client: APIClient) -> None:
    from servicekit.models import OutboxEvent

    response = api_client.post(
        REGISTER, {"email": "Ev@Example.com", "password": "a-long-passphrase-9", "full_name": "Ev"}
    )
    user_id = response.json()["user"]["id"]
    event = OutboxEvent.objects.get(event_type="user.registered")
    assert event.data == {"user_id": user_id, "email": "ev@example.com", "full_name": "Ev"}
    assert event.aggregate == f"user:{user_id}"

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    changed = api_client.post(
        "/auth/api/me/password/", {"old_password": "a-long-passphrase-9", "new_password": "another-passphrase-7"}
    )
    assert changed.status_code == 200
    assert OutboxEvent.objects.get(event_type="user.password_changed").data["email"] == "ev@example.com"
    refused = api_client.post("/auth/api/me/password/", {"old_password": "wrong", "new_password": "x-passphrase-77"})
    assert refused.status_code == 400 and OutboxEvent.objects.filter(event_type="user.password_changed").count() == 1
