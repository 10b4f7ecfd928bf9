"""The authorisation the documents promise holds for every operation of every service, through the gateway.

For each operation of each service's OpenAPI document: anonymous callers get 401 exactly where
the document says 401 (sign-in operations aside: their 401 means bad credentials), a customer
gets 403 exactly where it says 403 (staff-only operations), and nothing answers 5xx. A customer
reaching into another customer's objects is a 404: that is tested per resource in the service
and checkout suites.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from e2e.conftest import Stack
from stack.services import SERVICES

_PARAMETER = re.compile(r"\{[^}]+\}")


def _operations(stack: Stack, http: requests.Session) -> list[tuple[str, str, set[str], bool]]:
    """(method, path, documented statuses, whether it asks for no token at all) of every operation."""
    found = []
    for service in SERVICES:
        document = http.get(f"{stack.url}/{service.name}/api/schema/?format=json", timeout=10).json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    tokenless = operation.get("security") in (None, [], [{}])
                    found.append((method.upper(), path, set(operation["responses"]), tokenless))
    return found


def _call(http: requests.Session, stack: Stack, method: str, path: str, headers: dict[str, str]) -> Any:
    url = stack.url + _PARAMETER.sub(lambda _: str(uuid.uuid4()), path)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return http.request(method, url, json=body, headers=headers, timeout=15)


def test_every_operation_answers_anonymous_callers_and_customers_as_documented(
    stack: Stack, http: requests.Session
) -> None:
    registered = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"matrix-{uuid.uuid4().hex[:8]}@example.com", "password": "a-long-e2e-passphrase"},
        timeout=10,
    ).json()
    customer = {"Authorization": f"Bearer {registered['access']}"}
    operations = _operations(stack, http)
    assert len(operations) > 50
    mismatches = []
    calls = 0
    for method, path, documented, tokenless in operations:
        anonymous = _call(http, stack, method, path, {})
        as_customer = _call(http, stack, method, path, customer)
        calls += 2
        for who, response in (("anonymous", anonymous), ("customer", as_customer)):
            if response.status_code >= 500:
                mismatches.append(f"{who} {method} {path}: {response.status_code}")
        # A 401 documented on a token-less operation is about bad credentials (sign-in), not anonymity.
        if (anonymous.status_code == 401) != ("401" in documented and not tokenless):
            mismatches.append(f"anonymous {method} {path}: {anonymous.status_code}, documented {sorted(documented)}")
        if (as_customer.status_code == 403) != ("403" in documented):
            mismatches.append(f"customer {method} {path}: {as_customer.status_code}, documented {sorted(documented)}")
    print(f"\nAuthorisation matrix: {len(operations)} operations, {calls} calls, {len(mismatches)} mismatches")
    assert not mismatches, "\n".join(mismatches)
