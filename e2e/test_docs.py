"""API documentation through the gateway, and CORS for a browser frontend."""

from __future__ import annotations

import requests

from e2e.conftest import CORS_ORIGIN, Stack
from stack.services import SERVICES


def test_every_service_serves_its_schema_and_docs_through_the_gateway(stack: Stack, http: requests.Session) -> None:
    for service in SERVICES:
        schema = http.get(f"{stack.url}/{service.name}/api/schema/?format=json", timeout=10)
        assert schema.status_code == 200, service.name
        document = schema.json()
        assert document["openapi"].startswith("3.")
        assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
        assert not [path for path in document["paths"] if "/internal/" in path], service.name
        docs = http.get(f"{stack.url}/{service.name}/api/docs/", timeout=10)
        assert docs.status_code == 200 and f"/{service.name}/static/drf_spectacular_sidecar/" in docs.text
        asset = f"{stack.url}/{service.name}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
        assert http.get(asset, timeout=10).status_code == 200


def test_the_gateway_docs_page_lists_every_service(stack: Stack, http: requests.Session) -> None:
    page = http.get(f"{stack.url}/docs/", timeout=10)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    script = http.get(f"{stack.url}/docs/docs.js", timeout=10).text
    for service in SERVICES:
        assert f'"/{service.name}/api/schema/"' in script
    stylesheet = http.get(f"{stack.url}/auth/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", timeout=10)
    assert stylesheet.status_code == 200


def test_a_browser_preflight_from_the_allowed_origin_passes_and_others_do_not(stack: Stack) -> None:
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    allowed = requests.options(
        f"{stack.url}/orders/api/orders/", headers={**headers, "Origin": CORS_ORIGIN}, timeout=10
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN
    refused = requests.options(
        f"{stack.url}/orders/api/orders/", headers={**headers, "Origin": "https://evil.example"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in refused.headers
