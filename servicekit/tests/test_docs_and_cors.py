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


def test_redoc_loads_nothing_from_another_origin() -> None:
    redoc = Client().get("/kit/api/redoc/")
    assert redoc.status_code == 200
    assets = re.findall(rb'(?:src|href)="([^"]+)"', redoc.content)
    assert assets and all(asset.startswith(b"/kit/") for asset in assets), assets
    assert b"fonts.googleapis.com" not in redoc.content
    # ReDoc's bundle shows a logo from its CDN: the browser is told to load nothing from elsewhere.
    policy = redoc["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


def test_the_documents_server_is_relative_unless_a_public_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from servicekit.conf import api_docs_settings

    def server() -> str:
        return str(api_docs_settings(name="kit")["SPECTACULAR_SETTINGS"]["SERVERS"][0]["url"])

    monkeypatch.delenv("GATEWAY_PUBLIC_URL", raising=False)
    assert server() == "/"  # wherever the document was loaded from: "Try it out" stays same-origin
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", "")
    assert server() == "/"
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", "https://shop.example.com")
    assert server() == "https://shop.example.com"


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
    assert "if-none-match" in allowed  # a conditional GET of the catalog
    assert "Access-Control-Allow-Credentials" not in response


@override_settings(CORS_ALLOWED_ORIGINS=["http://localhost:3000"])
def test_an_allowed_origin_may_read_retry_after() -> None:
    response = Client().get("/kit/health/", HTTP_ORIGIN="http://localhost:3000")
    exposed = [name.strip() for name in response["Access-Control-Expose-Headers"].split(",")]
    assert {"x-request-id", "etag", "idempotent-replayed", "retry-after"} <= set(exposed)


@override_settings(CORS_ALLOWED_ORIGINS=["http://localhost:3000"])
def test_a_refused_origin_gets_no_cors_headers(settings: Any) -> None:
    client = Client()
    preflight = client.options(
        "/kit/api/whoami/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in preflight
    simple = client.get("/kit/health/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in simple
