"""API documentation served by every service, and CORS for browser frontends from allowed origins only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_the_schema_and_both_documentation_pages_are_served_without_a_token() -> None:
    client = Client()
    schema = client.get("/kit/api/schema/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert schema.status_code == 200 and b"openapi: 3" in schema.content
    assert b"bearerAuth" in schema.content and b"description: gateway" in schema.content
    docs = client.get("/kit/api/docs/")
    assert docs.status_code == 200 and b"/kit/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    # Every asset is this service's own: no absolute URL to a CDN (a random token may spell "cdn").
    assets = re.findall(rb'(?:src|href)="([^"]+)"', docs.content)
    assert assets and all(asset.startswith(b"/kit/") for asset in assets), assets
    assert client.get("/kit/api/redoc/").status_code == 200


@override_settings(CORS_ALLOWED_ORIGINS=["http://localhost:3000"])
def test_a_preflight_from_an_allowed_origin_is_answered() -> None:
    response = Client().options(
        "/kit/api/whoami/",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "idempotency-key" in allowed
    assert "Access-Control-Allow-Credentials" not in response


@override_settings(CORS_ALLOWED_ORIGINS=["http://localhost:3000"])
def test_a_refused_origin_gets_no_cors_headers(settings: Any) -> None:
    client = Client()
    preflight = client.options(
        "/kit/api/whoami/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in preflight
    simple = client.get("/kit/health/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in simple
