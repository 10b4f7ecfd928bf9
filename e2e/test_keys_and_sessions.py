"""Key rotation without downtime, sessions that end, and service tokens, across the running stack."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import requests

from e2e.conftest import Stack, issue_service_token, register_service_client


def _login(stack: Stack, http: requests.Session, user: dict[str, str]) -> dict[str, str]:
    response = http.post(
        f"{stack.url}/auth/api/token/", json={"email": user["email"], "password": user["password"]}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def _whoami_status(stack: Stack, http: requests.Session, token: str) -> int:
    return http.get(
        f"{stack.url}/bank/api/whoami/", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ).status_code


def _eventually(condition: Callable[[], bool], *, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def test_rotation_end_to_end(stack: Stack, http: requests.Session, new_user: dict[str, str]) -> None:
    before = new_user["access"]
    assert _whoami_status(stack, http, before) == 200

    stack.manage("auth", "jwt_keys", "rotate")
    old_kid = jwt.get_unverified_header(before)["kid"]
    assert _eventually(lambda: jwt.get_unverified_header(_login(stack, http, new_user)["access"])["kid"] != old_kid)
    after = _login(stack, http, new_user)["access"]

    # The bank learns the new key from the JWKS; the old key is still published, so both pass.
    assert _eventually(lambda: _whoami_status(stack, http, after) == 200)
    assert _whoami_status(stack, http, before) == 200

    stack.manage("auth", "jwt_keys", "prune", "--older-than", "0")
    assert _eventually(lambda: _whoami_status(stack, http, before) == 401)
    assert _whoami_status(stack, http, after) == 200


def test_logout_ends_the_session(stack: Stack, http: requests.Session, new_user: dict[str, str]) -> None:
    pair = _login(stack, http, new_user)
    response = http.post(
        f"{stack.url}/auth/api/logout/",
        json={"refresh": pair["refresh"]},
        headers={"Authorization": f"Bearer {pair['access']}"},
        timeout=10,
    )
    assert response.status_code == 204
    refused = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": pair["refresh"]}, timeout=10)
    assert refused.status_code == 401


def test_refresh_rotates_through_the_gateway(stack: Stack, http: requests.Session, new_user: dict[str, str]) -> None:
    first = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": new_user["refresh"]}, timeout=10)
    assert first.status_code == 200
    reused = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": new_user["refresh"]}, timeout=10)
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_revoked"


def test_service_tokens_work_on_the_private_network_only(stack: Stack, http: requests.Session) -> None:
    secret = register_service_client(stack, "e2e-probe", "bank:transfer")
    issued = issue_service_token(stack, http, "e2e-probe", secret)
    assert issued.status_code == 200
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    direct = http.get(f"{stack.service_url('bank')}/bank/internal/whoami/", headers=bearer, timeout=5)
    assert direct.status_code == 200
    assert direct.json() == {"client_id": "e2e-probe", "scopes": ["bank:transfer"], "service": "bank"}
    assert http.get(f"{stack.url}/bank/internal/whoami/", headers=bearer, timeout=5).status_code == 404
    assert http.get(f"{stack.url}/bank/api/whoami/", headers=bearer, timeout=5).status_code == 401
    via_gateway = http.post(
        f"{stack.url}/auth/internal/service-token/", json={"client_id": "e2e-probe", "client_secret": secret}, timeout=5
    )
    assert via_gateway.status_code == 404


def test_every_service_has_its_own_service_client_with_its_scopes(stack: Stack) -> None:
    listing = stack.manage(
        "auth", "shell", "--no-imports", "-c",
        "from users.models import ServiceClient\n"
        "for c in ServiceClient.objects.order_by('client_id'): print(c.client_id, ','.join(c.scopes))",
    )  # fmt: skip
    clients = dict(([*line.split(" "), ""])[:2] for line in listing.splitlines() if line)
    assert clients["orders"] == "catalog:reserve,payments:charge"
    assert clients["payments"] == "bank:transfer"
    assert {"auth", "bank", "catalog", "notifications"} <= clients.keys()
