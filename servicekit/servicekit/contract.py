"""Tests every service runs against itself (`from servicekit.contract import *` in its tests).

They pin what DESIGN-level promises mean in each service: health and readiness, stateless
RS256 verification that refuses every forged or misused token, and the one error shape.
A service that owns users overrides the `contract_claims` fixture (servicekit.testing) with a real user's claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.conf import settings

from servicekit.keys import generate_keypair
from servicekit.testing import sign_token

__all__ = [
    "test_bad_tokens_are_401",
    "test_every_public_route_is_in_the_openapi_schema",
    "test_health_answers_without_authentication",
    "test_malformed_authorization_header_is_401",
    "test_missing_token_is_401_with_bearer_challenge",
    "test_ready_reports_the_database",
    "test_request_id_is_echoed_when_well_formed",
    "test_request_id_is_replaced_when_malformed",
    "test_unknown_path_is_404_in_the_error_shape",
    "test_whoami_answers_with_the_token_claims",
    "test_wrong_method_is_405_in_the_error_shape",
]


def _prefix() -> str:
    return f"/{settings.URL_PREFIX}"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bad_tokens(claims: dict[str, Any]) -> dict[str, str]:
    other_private, _ = generate_keypair()
    public_pem = Path(settings.JWT_PUBLIC_KEY_FILE).read_bytes()
    valid = sign_token(**claims)
    header, payload, signature = valid.split(".")
    tampered_payload = _b64({**jwt.decode(valid, options={"verify_signature": False}), "roles": ["admin"]})
    return {
        "expired": sign_token(**claims, lifetime=timedelta(minutes=-5)),
        "not_yet_issued": sign_token(**claims, iat=int(time.time()) + 3600),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "stripped_signature": f"{header}.{payload}.",
        "other_key": sign_token(**claims, private_key=other_private),
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "hs256_with_public_key": _hs256(payload, public_pem),
        "refresh_as_access": sign_token(**claims, token_type="refresh"),
        "wrong_issuer": sign_token(**claims, iss="someone-else"),
        "wrong_audience": sign_token(**claims, aud="another-system"),
        "no_exp": sign_token(**claims, omit=("exp",)),
        "no_iat": sign_token(**claims, omit=("iat",)),
        "no_jti": sign_token(**claims, omit=("jti",)),
        "no_aud": sign_token(**claims, omit=("aud",)),
        "no_iss": sign_token(**claims, omit=("iss",)),
        "garbage": "not-a-token",
    }


def _hs256(payload_segment: str, secret: bytes) -> str:
    """Sign with HMAC using the public key as the secret: the classic algorithm-confusion forgery."""
    header = _b64({"alg": "HS256", "typ": "JWT"})
    signing_input = f"{header}.{payload_segment}".encode()
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload_segment}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _assert_error_shape(body: dict[str, Any], code: str | None = None) -> None:
    assert set(body) == {"code", "message", "fields", "request_id"}, body
    if code:
        assert body["code"] == code, body


def test_health_answers_without_authentication(client: Any) -> None:
    response = client.get(f"{_prefix()}health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": settings.SERVICE_NAME}


@pytest.mark.django_db
def test_ready_reports_the_database(client: Any) -> None:
    response = client.get(f"{_prefix()}ready/")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_whoami_answers_with_the_token_claims(client: Any, contract_claims: dict[str, Any]) -> None:
    token = sign_token(**contract_claims)
    response = client.get(f"{_prefix()}api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user_id"] == contract_claims["user_id"]
    assert body["email"] == contract_claims["email"]
    assert body["roles"] == sorted(contract_claims["roles"])


def test_missing_token_is_401_with_bearer_challenge(client: Any) -> None:
    response = client.get(f"{_prefix()}api/whoami/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    _assert_error_shape(response.json(), "not_authenticated")


@pytest.mark.django_db
def test_bad_tokens_are_401(client: Any, contract_claims: dict[str, Any]) -> None:
    for name, token in _bad_tokens(contract_claims).items():
        response = client.get(f"{_prefix()}api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, (name, response.content)
        _assert_error_shape(response.json())
        assert response.json()["code"].startswith("token_"), (name, response.json())


def test_malformed_authorization_header_is_401(client: Any) -> None:
    response = client.get(f"{_prefix()}api/whoami/", HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 401
    _assert_error_shape(response.json(), "bad_authorization_header")


def test_unknown_path_is_404_in_the_error_shape(client: Any) -> None:
    response = client.get(f"{_prefix()}no-such-thing/")
    assert response.status_code == 404
    _assert_error_shape(response.json(), "not_found")


def test_wrong_method_is_405_in_the_error_shape(client: Any) -> None:
    response = client.delete(f"{_prefix()}health/")
    assert response.status_code == 405
    _assert_error_shape(response.json(), "method_not_allowed")


def test_request_id_is_echoed_when_well_formed(client: Any) -> None:
    response = client.get(f"{_prefix()}health/", HTTP_X_REQUEST_ID="abc-123.XYZ_9")
    assert response["X-Request-ID"] == "abc-123.XYZ_9"


def test_request_id_is_replaced_when_malformed(client: Any) -> None:
    response = client.get(f"{_prefix()}health/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    """Every URL the service routes, as OpenAPI paths (`<uuid:id>` becomes `{id}`)."""
    import re

    from django.urls import URLPattern, URLResolver

    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return found


@pytest.mark.django_db
def test_every_public_route_is_in_the_openapi_schema() -> None:
    """No undocumented endpoint: every route but the admin, the internal API and the docs themselves."""
    from django.urls import get_resolver
    from drf_spectacular.generators import SchemaGenerator

    documented = set(SchemaGenerator().get_schema(request=None, public=True)["paths"])
    hidden = ("/admin/", "/internal/", "/api/schema/", "/api/docs/", "/api/redoc/")
    routed = {route for route in _routes(get_resolver().url_patterns) if not any(part in route for part in hidden)}
    assert routed, "no routes found"
    assert routed <= documented, f"routed but not documented: {sorted(routed - documented)}"
