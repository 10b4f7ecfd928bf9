"""Register, log in, refresh, verify and use tokens through the gateway; every service verifies them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from typing import Any

import jwt
import pytest
import requests

from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, forged_claims
from servicekit.keys import generate_keypair
from stack.services import SERVICES

ISSUER = os.environ.get("JWT_ISSUER", "shop-auth")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "shop")
SERVICE_NAMES = [service.name for service in SERVICES]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    return forged_claims(
        issuer=ISSUER, audience=AUDIENCE, **{"email": "forged@example.com", "roles": ["admin"], **overrides}
    )


def test_register_login_profile_refresh_verify(stack: Stack, http: requests.Session, new_user: dict[str, str]) -> None:
    login = http.post(
        f"{stack.url}/auth/api/token/",
        json={"email": new_user["email"].upper(), "password": new_user["password"]},
        timeout=10,
    )
    assert login.status_code == 200
    pair = login.json()

    me = http.get(f"{stack.url}/auth/api/me/", headers=_bearer(pair["access"]), timeout=5)
    assert me.status_code == 200 and me.json()["email"] == new_user["email"]
    patched = http.patch(
        f"{stack.url}/auth/api/me/", json={"full_name": "E2E Person"}, headers=_bearer(pair["access"]), timeout=5
    )
    assert patched.status_code == 200 and patched.json()["full_name"] == "E2E Person"

    refreshed = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": pair["refresh"]}, timeout=10)
    assert refreshed.status_code == 200
    verified = http.post(f"{stack.url}/auth/api/token/verify/", json={"token": refreshed.json()["access"]}, timeout=10)
    assert verified.status_code == 200


def test_demo_admin_is_seeded_with_every_role(stack: Stack, http: requests.Session) -> None:
    login = http.post(
        f"{stack.url}/auth/api/token/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    )
    assert login.status_code == 200
    whoami = http.get(f"{stack.url}/bank/api/whoami/", headers=_bearer(login.json()["access"]), timeout=5)
    assert whoami.json()["roles"] == ["admin", "customer", "staff"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_service_verifies_tokens_statelessly(
    stack: Stack, http: requests.Session, new_user: dict[str, str], service: str
) -> None:
    response = http.get(f"{stack.url}/{service}/api/whoami/", headers=_bearer(new_user["access"]), timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == new_user["id"]
    assert response.json()["service"] == service
    anonymous = http.get(f"{stack.url}/{service}/api/whoami/", timeout=5)
    assert anonymous.status_code == 401


def test_bank_accounts_require_a_token(stack: Stack, http: requests.Session, new_user: dict[str, str]) -> None:
    assert http.get(f"{stack.url}/bank/api/accounts/", timeout=5).status_code == 401
    response = http.get(f"{stack.url}/bank/api/accounts/", headers=_bearer(new_user["access"]), timeout=5)
    assert response.status_code == 200
    assert response.json()["results"] == []


def _forgeries(stack: Stack, new_user: dict[str, str]) -> dict[str, str]:
    other_key, _ = generate_keypair()
    public_pem = stack.public_key
    header, payload, signature = new_user["access"].split(".")
    claims = jwt.decode(new_user["access"], options={"verify_signature": False})
    raised = _b64(json.dumps({**claims, "roles": ["admin", "staff", "customer"]}).encode())
    hs_header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    hs_signature = _b64(hmac.new(public_pem, f"{hs_header}.{payload}".encode(), hashlib.sha256).digest())
    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return {
        "expired": jwt.encode(
            _claims(iat=int(time.time()) - 600, exp=int(time.time()) - 300), stack.private_key, algorithm="RS256"
        ),
        "tampered": f"{header}.{raised}.{signature}",
        "other_key": jwt.encode(_claims(), other_key, algorithm="RS256"),
        "alg_none": f"{none_header}.{payload}.",
        "hs256_with_public_key": f"{hs_header}.{payload}.{hs_signature}",
        "refresh_as_access": new_user["refresh"],
        "wrong_audience": jwt.encode(_claims(aud="elsewhere"), stack.private_key, algorithm="RS256"),
    }


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_forged_and_misused_tokens_are_401_in_every_service(
    stack: Stack, http: requests.Session, new_user: dict[str, str], service: str
) -> None:
    for name, token in _forgeries(stack, new_user).items():
        response = http.get(f"{stack.url}/{service}/api/whoami/", headers=_bearer(token), timeout=5)
        assert response.status_code == 401, (service, name, response.text)
        assert response.json()["code"].startswith("token_"), (service, name, response.json())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"email": ', "application/json"),
        ("[]", "application/json"),
        ('{"email": 5, "password": []}', "application/json"),
        ("email=a", "text/plain"),
    ],
)
def test_bad_registration_input_is_a_4xx_in_the_error_shape(
    stack: Stack, http: requests.Session, body: str, content_type: str
) -> None:
    response = http.post(
        f"{stack.url}/auth/api/register/", data=body, headers={"Content-Type": content_type}, timeout=10
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "fields", "request_id"}


def test_duplicate_and_weak_registrations_are_400(
    stack: Stack, http: requests.Session, new_user: dict[str, str]
) -> None:
    duplicate = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": new_user["email"].upper(), "password": "another-long-passphrase"},
        timeout=10,
    )
    weak = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"weak-{uuid.uuid4().hex}@example.com", "password": "password"},
        timeout=10,
    )
    assert duplicate.status_code == 400 and "email" in duplicate.json()["fields"]
    assert weak.status_code == 400 and "password" in weak.json()["fields"]


def test_unknown_email_and_wrong_password_are_indistinguishable(
    stack: Stack, http: requests.Session, new_user: dict[str, str]
) -> None:
    unknown = http.post(
        f"{stack.url}/auth/api/token/", json={"email": "nobody@example.com", "password": "whatever-123"}, timeout=10
    )
    wrong = http.post(
        f"{stack.url}/auth/api/token/", json={"email": new_user["email"], "password": "whatever-123"}, timeout=10
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["code"] == wrong.json()["code"]
    assert unknown.json()["message"] == wrong.json()["message"]
