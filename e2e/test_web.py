"""The gateway serves the web client at `/`: its files cached for good, its page never, deep links, and a CSP."""

from __future__ import annotations

import re

import requests

from e2e.conftest import Stack
from e2e.test_gateway import SECURITY_HEADERS


def _assets(index: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', index)


def test_every_path_of_the_client_is_its_page_never_cached_with_a_strict_csp(
    stack: Stack, http: requests.Session
) -> None:
    pages = [http.get(f"{stack.url}{path}", timeout=5) for path in ("/", "/products/x", "/me/orders/y", "/nowhere")]
    for page in pages:
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert page.text == pages[0].text
        assert page.headers["Cache-Control"] == "no-cache"
        policy = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        for name, value in SECURITY_HEADERS.items():
            assert page.headers[name] == value, name
    assert "<script>" not in pages[0].text and re.search(r"<script[^>]+src=", pages[0].text)


def test_the_client_files_are_kept_for_a_year_and_sent_compressed(stack: Stack, http: requests.Session) -> None:
    assets = _assets(http.get(f"{stack.url}/", timeout=5).text)
    assert any(path.endswith(".js") for path in assets) and any(path.endswith(".css") for path in assets)
    for path in assets:
        response = http.get(f"{stack.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=5)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Content-Security-Policy" not in response.headers
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, name


def test_a_missing_file_is_a_json_404_that_no_one_keeps(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/assets/index-missing.js", timeout=5)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_api_prefixes_still_reach_the_services(stack: Stack, http: requests.Session) -> None:
    response = http.get(f"{stack.url}/catalog/api/products/", timeout=5)
    assert response.status_code == 200 and "results" in response.json()
    assert "Content-Security-Policy" not in response.headers
    assert http.get(f"{stack.url}/health", timeout=5).json()["status"] == "ok"
