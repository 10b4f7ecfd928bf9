"""Through the gateway: page links name no internal address, the micro-cache keys what changes an
answer, and the admins refuse what is signed with the old public development key."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core import signing

from e2e.conftest import Stack

INDENTED = "application/json; indent=4"


@pytest.fixture
def anonymous() -> Iterator[requests.Session]:
    """A visitor with no token and no cookie, whose answers the micro-cache may hold."""
    with requests.Session() as session:
        yield session


def _raw(stack: Stack, request: bytes) -> tuple[int, dict[str, str], str]:
    """Send `request` as it is (no Host added) and read the answer until the gateway closes."""
    with socket.create_connection(("127.0.0.1", int(stack.url.rsplit(":", 1)[1])), timeout=10) as connection:
        connection.sendall(request)
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body.decode()


# --- Page links name no address the request reached a service at --------------------------------


def test_an_http_1_0_request_without_host_gets_relative_page_links(stack: Stack, anonymous: requests.Session) -> None:
    status, _, body = _raw(stack, b"GET /catalog/api/products/?page_size=1 HTTP/1.0\r\n\r\n")
    assert status == 200, body
    internal = f"127.0.0.1:{stack.service_ports['catalog']}"
    assert internal not in body
    page = json.loads(body)
    assert page["count"] >= 2 and page["previous"] is None
    assert page["next"] == "/catalog/api/products/?page=2&page_size=1"

    # A client following `next` reaches the second page through the gateway, which links back.
    second = anonymous.get(f"{stack.url}{page['next']}", timeout=10)
    assert second.status_code == 200
    assert second.json()["previous"] == "/catalog/api/products/?page_size=1"
    assert second.json()["results"] != page["results"]


@pytest.mark.parametrize("host", [b"", b"Host: localhost\r\n", b"Host: 127.0.0.1\r\n"])
def test_page_links_are_the_same_whatever_host_asked(stack: Stack, host: bytes) -> None:
    status, _, body = _raw(stack, b"GET /catalog/api/categories/?page_size=1&page=2 HTTP/1.0\r\n" + host + b"\r\n")
    assert status == 200, body
    page = json.loads(body)
    assert page["previous"] == "/catalog/api/categories/?page_size=1"
    assert page["next"] is None or page["next"] == "/catalog/api/categories/?page=3&page_size=1"


# --- The micro-cache keys everything that changes an answer's bytes ------------------------------


def _products_url(stack: Stack) -> str:
    """A product list no other request asked for (an unknown parameter is ignored by the service)."""
    return f"{stack.url}/catalog/api/products/?page_size=3&e2e={uuid.uuid4().hex}"


def test_an_indented_accept_does_not_change_what_plain_requests_get(stack: Stack, anonymous: requests.Session) -> None:
    url = _products_url(stack)
    indented = anonymous.get(url, headers={"Accept": INDENTED}, timeout=10)
    assert indented.status_code == 200 and indented.headers["X-Cache-Status"] == "MISS"
    assert indented.text.startswith("{\n    ")

    plain = anonymous.get(url, headers={"Accept": "application/json"}, timeout=10)
    assert plain.headers["X-Cache-Status"] == "MISS", "the plain request was answered the indented entry"
    assert "\n" not in plain.text
    assert plain.json() == indented.json()

    # Identical plain requests still share one entry (none, */* and application/json are the same bytes).
    for accept in ("application/json", "*/*", None):
        again = anonymous.get(url, headers={"Accept": accept}, timeout=10)
        assert again.headers["X-Cache-Status"] == "HIT", accept
        assert again.content == plain.content, accept
    indented_again = anonymous.get(url, headers={"Accept": INDENTED}, timeout=10)
    assert indented_again.headers["X-Cache-Status"] == "HIT"
    assert indented_again.content == indented.content


def test_a_plain_cached_answer_is_not_given_to_an_indented_request(stack: Stack, anonymous: requests.Session) -> None:
    url = _products_url(stack)
    plain = anonymous.get(url, timeout=10)
    assert plain.headers["X-Cache-Status"] == "MISS"
    indented = anonymous.get(url, headers={"Accept": INDENTED}, timeout=10)
    assert indented.headers["X-Cache-Status"] == "MISS"
    assert indented.text.startswith("{\n    ")
    after = anonymous.get(url, timeout=10)
    assert after.headers["X-Cache-Status"] == "HIT" and after.content == plain.content


def test_the_host_does_not_split_the_micro_cache(stack: Stack, anonymous: requests.Session) -> None:
    url = _products_url(stack)
    first = anonymous.get(url, headers={"Host": "localhost"}, timeout=10)
    second = anonymous.get(url, headers={"Host": "127.0.0.1"}, timeout=10)
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT" and second.content == first.content


# --- Admin cookies signed with the old public development key are refused ------------------------

MARKER = '<b id="e2e-forged-message">'
LEVEL_SUCCESS = 25


class _MessagesSerializer:
    """Django's messages cookie format: a JSON list of [marker, is_safe, level, message]."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode("latin-1")

    def loads(self, data: bytes) -> Any:
        return json.loads(data.decode("latin-1"))


def _messages_cookie(secret_key: str, html: str) -> str:
    """A `messages` cookie holding `html` marked safe, signed as Django signs it with `secret_key`."""
    signer = signing.Signer(
        key=b"django.http.cookies" + secret_key.encode(), salt="django.contrib.messages", fallback_keys=[]
    )
    return str(signer.sign_object([["__json_message", 1, LEVEL_SUCCESS, html]], serializer=_MessagesSerializer))


def _stack_signed_cookie(stack: Stack, service: str, html: str) -> str:
    """A `messages` cookie made by the service's own `manage.py`, with the stack's environment (its key)."""
    code = (
        "from django.contrib.messages.storage.base import Message;"
        "from django.contrib.messages.storage.cookie import CookieStorage;"
        "from django.http import HttpRequest;"
        "from django.utils.safestring import mark_safe;"
        f"print(CookieStorage(HttpRequest())._encode([Message({LEVEL_SUCCESS}, mark_safe({html!r}))]))"
    )
    return stack.manage(service, "shell", "-c", code).strip().splitlines()[-1]


def _login_page(stack: Stack, service: str, cookie: str) -> requests.Response:
    response = requests.get(f"{stack.url}/{service}/admin/login/", headers={"Cookie": f"messages={cookie}"}, timeout=10)
    assert response.status_code == 200
    return response


def test_a_messages_cookie_signed_with_the_old_public_key_is_not_rendered(stack: Stack) -> None:
    forged = _messages_cookie("development-only-bank-secret-key", f"{MARKER}forged</b>")
    page = _login_page(stack, "bank", forged)
    assert "e2e-forged-message" not in page.text


def test_the_stack_s_own_key_signs_what_its_admin_renders_and_differs_per_service(stack: Stack) -> None:
    # The same cookie made with the key the stack derives (by a manage.py run beside it) is rendered:
    # the admin page does show messages, and a hand-run command gets the running service's key.
    genuine = _stack_signed_cookie(stack, "bank", f"{MARKER}from the stack</b>")
    assert MARKER in _login_page(stack, "bank", genuine).text
    # Each service has its own key: bank's signature means nothing to the catalog.
    assert "e2e-forged-message" not in _login_page(stack, "catalog", genuine).text
