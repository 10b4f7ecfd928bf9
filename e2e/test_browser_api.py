"""What a browser frontend on another origin meets through the gateway.

CORS on the answers the gateway makes itself, Retry-After a script may read, preflights that the
sign-in limit does not count, documentation pages and "Try it out" on the page's own origin, OpenAPI
documents a strict client can hold real answers to, and a declined payment that says so (402).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import jsonschema_rs
import pytest
import requests

from e2e import shop
from e2e.conftest import CORS_ORIGIN, Stack, second_gateway, session_from, stack_upstreams
from stack import gateway
from stack.launch import free_port_block
from stack.services import SERVICES

ELSEWHERE = "https://evil.example"
# The services' CORS_EXPOSE_HEADERS (servicekit.conf): the gateway's own answers expose the same.
EXPOSED = {"x-request-id", "etag", "idempotent-replayed", "retry-after"}
# What the gateway puts on every answer, its own included.
GATEWAY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


def _exposed(response: requests.Response) -> set[str]:
    listed = response.headers.get("Access-Control-Expose-Headers", "")
    return {name.strip().lower() for name in listed.split(",") if name.strip()}


def _assert_cors_for(response: requests.Response, origin: str) -> None:
    assert response.headers.get("Access-Control-Allow-Origin") == origin, response.headers
    assert _exposed(response) == EXPOSED, response.headers
    assert "origin" in response.headers.get("Vary", "").lower(), response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def _assert_no_cors(response: requests.Response) -> None:
    assert "Access-Control-Allow-Origin" not in response.headers, response.headers
    assert "Access-Control-Expose-Headers" not in response.headers, response.headers


def _assert_gateway_headers(response: requests.Response) -> None:
    for name, value in GATEWAY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert response.headers.get("X-Request-ID"), response.headers
    if response.status_code >= 400:
        assert response.json()["request_id"] == response.headers["X-Request-ID"]


def _gateway(stack: Stack, run_dir: Path, upstreams: dict[str, str], **settings: str) -> Iterator[str]:
    """Run a second nginx on the template (sign-in limited to 1r/s, burst 5) before `upstreams`; yield its URL."""
    environment = {"GATEWAY_AUTH_RATE": "1r/s", "GATEWAY_AUTH_BURST": "5", "CORS_ALLOWED_ORIGINS": CORS_ORIGIN}
    yield from second_gateway(stack, run_dir, upstreams, environment, **settings)


@pytest.fixture(scope="module")
def strict_sign_in(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second gateway before the stack's services whose sign-in limit is reached in a few requests."""
    upstreams = stack_upstreams(stack)
    yield from _gateway(stack, tmp_path_factory.mktemp("strict-sign-in"), upstreams)


# --- CORS on the gateway's own answers -----------------------------------------------------------

# Not a request line over 8 KiB (414): nginx refuses it before reading any header, Origin included.

GATEWAY_ANSWERS = [
    pytest.param("GET", "/bank/internal/anything", {}, None, 404, id="404 internal path"),
    pytest.param("GET", "/bank/static/no-such-file.css", {}, None, 404, id="404 static file"),
    pytest.param("POST", "/bank/static/admin/css/base.css", {}, None, 405, id="405"),
    pytest.param("GET", "/bank/health/", {"X-Padding": "x" * 64 * 1024}, None, 400, id="400 oversized headers"),
    pytest.param(
        "POST", "/auth/api/register/", {"Content-Type": "application/json"}, b"x" * (2 * 1024 * 1024), 413, id="413"
    ),
    pytest.param("GET", "/health", {}, None, 200, id="200 gateway health"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), GATEWAY_ANSWERS)
def test_the_gateway_s_own_answers_carry_cors_for_an_allowed_origin_only(
    stack: Stack, method: str, path: str, headers: dict[str, str], body: bytes | None, status: int
) -> None:
    # Origin first: of headers too large to read, nginx has only those before the one that overflowed.
    allowed = requests.request(
        method, f"{stack.url}{path}", headers={"Origin": CORS_ORIGIN, **headers}, data=body, timeout=30
    )
    assert allowed.status_code == status, allowed.text[:200]
    _assert_cors_for(allowed, CORS_ORIGIN)
    _assert_gateway_headers(allowed)
    refused = requests.request(
        method, f"{stack.url}{path}", headers={"Origin": ELSEWHERE, **headers}, data=body, timeout=30
    )
    assert refused.status_code == status
    _assert_no_cors(refused)
    _assert_gateway_headers(refused)


def test_the_gateway_exposes_what_the_services_expose(stack: Stack, http: requests.Session) -> None:
    service = http.get(f"{stack.url}/catalog/health/", headers={"Origin": CORS_ORIGIN}, timeout=10)
    own = http.get(f"{stack.url}/bank/internal/anything", headers={"Origin": CORS_ORIGIN}, timeout=10)
    assert _exposed(service) == _exposed(own) == EXPOSED
    # The services' answers keep their own CORS headers, each once.
    assert service.raw.headers.getlist("Access-Control-Allow-Origin") == [CORS_ORIGIN]


def test_a_service_that_is_down_is_a_503_a_frontend_can_read(stack: Stack, tmp_path: Path) -> None:
    closed = free_port_block(1)  # nothing listens there
    upstreams = {service.name: f"127.0.0.1:{closed}" for service in SERVICES}
    # Several origins, as CORS_ALLOWED_ORIGINS lists them: each must be matched whole.
    origins = f"http://shop.example,{CORS_ORIGIN}"
    for url in _gateway(stack, tmp_path, upstreams, CORS_ALLOWED_ORIGINS=origins):
        for origin in ("http://shop.example", CORS_ORIGIN):
            answer = requests.get(f"{url}/bank/api/accounts/", headers={"Origin": origin}, timeout=10)
            assert answer.status_code == 503 and answer.json()["code"] == "service_unavailable"
            _assert_cors_for(answer, origin)
            _assert_gateway_headers(answer)
        others = (ELSEWHERE, "http://localhost:300", f"{CORS_ORIGIN}0", "http://shop.example.evil", origins, "null")
        for origin in others:
            answer = requests.get(f"{url}/bank/api/accounts/", headers={"Origin": origin}, timeout=10)
            assert answer.status_code == 503
            _assert_no_cors(answer)


def test_every_answer_the_gateway_makes_itself_is_marked_for_cors() -> None:
    # Every error_page target (and /health) sets $gateway_answer, which the server's add_header reads;
    # the 504, which a test cannot wait for, is held to it here.
    template = gateway.TEMPLATE.read_text()
    targets = set(re.findall(r"^    error_page [^;]*?(\S+);", template, re.MULTILINE)) | {"= /health"}
    assert {"@upstream_timeout", "@upstream_unavailable", "@too_many_requests"} <= targets
    for target in targets:
        name = target.removeprefix("= ")
        block = re.search(rf"location (?:= )?{re.escape(name)} {{(.*?)\n    }}", template, re.DOTALL)
        assert block, f"no location {name}"
        assert "set $gateway_answer 1;" in block.group(1), name
        assert "add_header" not in block.group(1), f"{name}: its own add_header would drop the server's"


# --- Retry-After and preflights -------------------------------------------------------------------


def test_the_gateway_s_429_says_when_to_retry_and_a_frontend_can_read_it(strict_sign_in: str) -> None:
    with session_from("127.0.0.21") as session:
        answers = [
            session.post(f"{strict_sign_in}/auth/api/token/", json={}, headers={"Origin": CORS_ORIGIN}, timeout=10)
            for _ in range(12)
        ]
    assert [answer.status_code for answer in answers[:5]] == [400] * 5  # the burst reaches auth
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) >= 5, [answer.status_code for answer in answers]
    for answer in refused:
        assert answer.json()["code"] == "throttled"
        assert answer.headers["Retry-After"] == "1"
        _assert_cors_for(answer, CORS_ORIGIN)
        _assert_gateway_headers(answer)
    assert all("Retry-After" not in answer.headers for answer in answers[:5])  # auth's own 400s


def test_preflights_do_not_count_against_the_sign_in_limit(strict_sign_in: str) -> None:
    preflight = {
        "Origin": CORS_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with session_from("127.0.0.22") as session:
        url = f"{strict_sign_in}/auth/api/token/"
        answers = [session.options(url, headers=preflight, timeout=10) for _ in range(20)]
        assert [answer.status_code for answer in answers] == [200] * 20
        assert all(answer.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN for answer in answers)
        # The sign-in that follows each preflight still has the whole burst.
        after = [session.post(url, json={}, timeout=10).status_code for _ in range(5)]
    assert after == [400] * 5


def test_a_conditional_get_passes_the_preflight_and_revalidates(stack: Stack, http: requests.Session) -> None:
    preflight = http.options(
        f"{stack.url}/catalog/api/products/",
        headers={
            "Origin": CORS_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match, if-modified-since",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    allowed = {name.strip() for name in preflight.headers["Access-Control-Allow-Headers"].lower().split(",")}
    assert {"if-none-match", "if-modified-since"} <= allowed
    # The query string is this test's own, so the micro-cache has no entry another test made.
    url = f"{stack.url}/catalog/api/products/?search=browser-{uuid.uuid4().hex[:8]}"
    first = http.get(url, headers={"Origin": CORS_ORIGIN}, timeout=10)
    assert first.status_code == 200 and "etag" in _exposed(first)
    again = http.get(url, headers={"Origin": CORS_ORIGIN, "If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    assert again.headers.get("Access-Control-Allow-Origin") == CORS_ORIGIN


def test_a_service_s_retry_after_is_exposed_to_the_frontend(stack: Stack, http: requests.Session) -> None:
    registered = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"browser-{uuid.uuid4().hex[:12]}@example.com", "password": "a-long-e2e-passphrase"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['access']}", "Origin": CORS_ORIGIN}
    # Registration has just emailed a code: another one so soon is refused, saying when to ask again.
    resend = http.post(f"{stack.url}/auth/api/email/verify/resend/", json={}, headers=headers, timeout=10)
    assert resend.status_code == 429 and resend.json()["code"] == "code_recently_sent", resend.text
    assert int(resend.headers["Retry-After"]) >= 1
    assert resend.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "retry-after" in _exposed(resend)


# --- The API documentation ------------------------------------------------------------------------

# Where a page names what it loads: src and href attributes, and url() and @import in its styles.
_ASSET = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']"""
)
_ELSEWHERE_MARKS = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.redoc.ly", "unpkg.com", "jsdelivr", "cdnjs")


def _documentation_pages() -> list[str]:
    return ["/docs/"] + [f"/{service.name}/api/{page}/" for service in SERVICES for page in ("docs", "redoc")]


@pytest.mark.parametrize("path", _documentation_pages())
def test_documentation_pages_load_only_the_gateway_s_own_assets(
    stack: Stack, http: requests.Session, path: str
) -> None:
    page = http.get(f"{stack.url}{path}", timeout=10)
    assert page.status_code == 200
    assets = [next(group for group in match if group) for match in _ASSET.findall(page.text)]
    assert assets, page.text[:500]
    origin = urlsplit(stack.url).netloc
    for asset in assets:
        if asset.startswith("data:"):
            continue
        assert urlsplit(urljoin(page.url, asset)).netloc == origin, f"{path} loads {asset}"
    for mark in _ELSEWHERE_MARKS:
        assert mark not in page.text, f"{path} names {mark}"
    if path.endswith("/redoc/"):
        # ReDoc's bundle shows a logo from its CDN: the page lets the browser load nothing from elsewhere.
        policy = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy, policy


def test_the_gateway_docs_script_names_no_other_origin(stack: Stack, http: requests.Session) -> None:
    script = http.get(f"{stack.url}/docs/docs.js", timeout=10)
    assert script.status_code == 200
    assert not re.search(r"""["'](?:https?:)?//""", script.text), script.text
    # Swagger UI's validator badge would load validator.swagger.io with each document's address.
    assert "validatorUrl: null" in script.text


def _document(stack: Stack, http: requests.Session, service: str) -> dict[str, Any]:
    answer = http.get(f"{stack.url}/{service}/api/schema/?format=json", timeout=10)
    assert answer.status_code == 200
    return dict(answer.json())


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_try_it_out_calls_the_origin_the_documentation_was_loaded_from(
    stack: Stack, http: requests.Session, service: str
) -> None:
    servers = _document(stack, http, service)["servers"]
    assert [server["url"] for server in servers] == ["/"]
    for page in (f"{stack.url}/docs/", f"{stack.url}/{service}/api/docs/"):
        called = urljoin(page, servers[0]["url"])
        assert urlsplit(called).netloc == urlsplit(stack.url).netloc, called


# --- What a strict OpenAPI 3.0 client holds the answers to ----------------------------------------


def _nullable_schemas(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("nullable") is True:
            yield where, node
        for key, value in node.items():
            yield from _nullable_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nullable_schemas(value, f"{where}/{index}")


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_every_nullable_schema_has_a_type_that_null_can_take(
    stack: Stack, http: requests.Session, service: str
) -> None:
    # OpenAPI 3.0.3: `nullable` adds null to the `type` of its own schema object, and to nothing else;
    # a schema it shares with `allOf` or a `$ref` still answers to that, which refuses null.
    untyped = [
        where
        for where, schema in _nullable_schemas(_document(stack, http, service))
        if "type" not in schema or {"$ref", "allOf", "oneOf", "anyOf"} & schema.keys()
    ]
    assert not untyped, f"{service}: nullable without a type null can take: {untyped}"


def _strict(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema, `nullable` read as 3.0.3 says: null joins a `type` beside it."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _strict(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True and "type" in node:
        converted["type"] = [node["type"], "null"]
    return converted


def _conforms(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    """Validate `instance` against `schema` of `document` as a strict client would; raise if it does not conform."""
    root = {**copy.deepcopy(_strict(schema)), "components": _strict(document["components"])}
    jsonschema_rs.Draft7Validator(root).validate(instance)


def test_a_real_product_without_a_category_conforms_to_the_catalog_document(
    stack: Stack, http: requests.Session
) -> None:
    document = _document(stack, http, "catalog")
    product_id = shop.product(stack, http, price=500, stock=1)
    product = http.get(f"{stack.url}/catalog/api/products/{product_id}/", timeout=10).json()
    assert product["category"] is None
    detail = document["paths"]["/catalog/api/products/{product_id}/"]["get"]["responses"]["200"]
    _conforms(document, detail["content"]["application/json"]["schema"], product)
    page = http.get(f"{stack.url}/catalog/api/products/", params={"search": product["sku"]}, timeout=10).json()
    assert [item["id"] for item in page["results"]] == [product_id]
    listing = document["paths"]["/catalog/api/products/"]["get"]["responses"]["200"]
    _conforms(document, listing["content"]["application/json"]["schema"], page)


# --- A declined payment ---------------------------------------------------------------------------


def test_a_declined_payment_is_a_402_with_the_order_and_can_be_paid_again(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    empty, funded = shop.funded_account(stack, http, customer, 0), shop.funded_account(stack, http, customer, 5_000)
    order = shop.order(stack, http, customer, shop.product(stack, http, price=2_000, stock=1), 1).json()
    url = f"{stack.url}/orders/api/orders/{order['id']}/pay/"
    key = {"Idempotency-Key": uuid.uuid4().hex, "Origin": CORS_ORIGIN}
    declined = http.post(url, json={"account_id": empty}, headers={**customer, **key}, timeout=15)
    assert declined.status_code == 402, declined.text
    body = declined.json()
    assert body["code"] == "insufficient_funds" and body["message"] and body["fields"] == {}
    assert body["request_id"] == declined.headers["X-Request-ID"]
    assert body["order"]["id"] == order["id"] and body["order"]["status"] == "pending"
    assert body["order"]["payment"]["error_code"] == "insufficient_funds" and body["order"]["payment"]["error"]
    assert declined.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN  # the frontend may read it
    document = _document(stack, http, "orders")
    documented = document["paths"]["/orders/api/orders/{order_id}/pay/"]["post"]["responses"]["402"]
    _conforms(document, documented["content"]["application/json"]["schema"], body)

    # The same request again gets the same answer; nothing is charged or tried again.
    replayed = http.post(url, json={"account_id": empty}, headers={**customer, **key}, timeout=15)
    assert replayed.status_code == 402 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == body

    # A new attempt, from another account, pays the order.
    paid = shop.pay(stack, http, customer, order["id"], funded)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid" and paid.json()["payment"]["error"] == ""
    assert shop.balance(stack, http, customer, funded) == 3_000
