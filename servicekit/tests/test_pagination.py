"""The links of a page name no host the request came with: a path and query, or the gateway's public URL."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from servicekit.pagination import PageLinkField, PageNumberPagination
from servicekit.schema import page_of

ITEMS: Any = list(range(5))  # a list pages as a queryset does


def _links(path: str, **headers: Any) -> tuple[str | None, str | None]:
    request = Request(APIRequestFactory().get(path, **headers))
    paginator = PageNumberPagination()
    paginator.paginate_queryset(ITEMS, request)
    return paginator.get_next_link(), paginator.get_previous_link()


@pytest.fixture(autouse=True)
def _default_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_PUBLIC_URL", raising=False)


def test_links_are_the_path_and_query_without_a_host() -> None:
    # An HTTP/1.0 request without Host reaches the service with its own bind address as the host.
    internal = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8003"}
    assert _links("/kit/api/items/?page_size=1", **internal) == ("/kit/api/items/?page=2&page_size=1", None)
    assert _links("/kit/api/items/?page_size=1&page=2", **internal) == (
        "/kit/api/items/?page=3&page_size=1",
        "/kit/api/items/?page_size=1",
    )
    assert _links("/kit/api/items/?page_size=1&page=5", HTTP_HOST="localhost") == (
        None,
        "/kit/api/items/?page=4&page_size=1",
    )


def test_a_host_header_never_reaches_a_link() -> None:
    following, _ = _links("/kit/api/items/?page_size=2", HTTP_HOST="attacker.example")
    assert following == "/kit/api/items/?page=2&page_size=2"


def test_a_path_given_with_two_slashes_does_not_read_as_another_host() -> None:
    django_request = APIRequestFactory().get("/kit/api/items/?page_size=2")
    django_request.path = "//attacker.example/kit/api/items/"
    paginator = PageNumberPagination()
    paginator.paginate_queryset(ITEMS, Request(django_request))
    following = paginator.get_next_link()
    assert following is not None and following.startswith("/attacker.example/") and not following.startswith("//")


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://shop.example.com", "https://shop.example.com/kit/api/items/?page=2&page_size=2"),
        ("https://shop.example.com/", "https://shop.example.com/kit/api/items/?page=2&page_size=2"),
        ("http://localhost:8080/shop/", "http://localhost:8080/shop/kit/api/items/?page=2&page_size=2"),
        ("/", "/kit/api/items/?page=2&page_size=2"),
        ("", "/kit/api/items/?page=2&page_size=2"),
        ("shop.example.com", "/kit/api/items/?page=2&page_size=2"),
        ("ftp://shop.example.com", "/kit/api/items/?page=2&page_size=2"),
    ],
)
def test_an_absolute_public_url_starts_the_links(
    monkeypatch: pytest.MonkeyPatch, public_url: str, expected: str
) -> None:
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", public_url)
    following, _ = _links("/kit/api/items/?page_size=2", HTTP_HOST="attacker.example")
    assert following == expected


def test_the_documents_call_the_links_uri_references() -> None:
    from drf_spectacular.plumbing import ComponentRegistry

    from servicekit.schema import AutoSchema

    class ItemSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()

    schema = AutoSchema()
    schema.registry = ComponentRegistry()
    fields = page_of(ItemSerializer)().fields
    for name in ("next", "previous"):
        assert isinstance(fields[name], PageLinkField)
        assert schema._map_serializer_field(fields[name], "response")["format"] == "uri-reference"

    generic = PageNumberPagination().get_paginated_response_schema({"type": "array"})
    for name in ("next", "previous"):
        assert generic["properties"][name]["format"] == "uri-reference"
        assert generic["properties"][name]["example"].startswith("/")
