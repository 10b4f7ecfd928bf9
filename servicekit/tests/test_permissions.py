from typing import Any

import pytest
from django.test import Client

from servicekit.testing import sign_token

WHOAMI = "/kit/internal/whoami/"
SCOPED = "/kit/api/scoped/"


def _service_token(*scopes: str) -> str:
    return sign_token(token_type="service", client_id="orders", scopes=list(scopes), omit=("user_id", "email", "roles"))


def test_a_service_token_is_accepted_where_services_call(client: Client) -> None:
    response = client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {_service_token('catalog:reserve')}")
    assert response.status_code == 200
    assert response.json()["client_id"] == "orders"


def test_a_user_token_is_refused_where_services_call(client: Client) -> None:
    response = client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {sign_token()}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_type"


def test_a_service_token_is_refused_where_a_user_is_required(client: Client) -> None:
    response = client.get("/kit/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {_service_token()}")
    assert response.status_code == 401


@pytest.mark.parametrize(("scopes", "status"), [(("kit:test",), 200), (("kit:other",), 403), ((), 403)])
def test_scopes_are_enforced(client: Client, scopes: tuple[str, ...], status: int) -> None:
    response = client.get(SCOPED, HTTP_AUTHORIZATION=f"Bearer {_service_token(*scopes)}")
    assert response.status_code == status


@pytest.mark.parametrize(("roles", "status"), [(["customer"], 403), (["customer", "staff"], 200), (["admin"], 200)])
def test_staff_permission_follows_roles(client: Client, roles: list[str], status: int) -> None:
    response = client.get("/kit/api/staff-only/", HTTP_AUTHORIZATION=f"Bearer {sign_token(roles=roles)}")
    assert response.status_code == status


def test_an_endpoint_may_admit_both_users_and_services(client: Client) -> None:
    as_user = client.get("/kit/api/either/", HTTP_AUTHORIZATION=f"Bearer {sign_token()}")
    as_service = client.get("/kit/api/either/", HTTP_AUTHORIZATION=f"Bearer {_service_token()}")
    assert as_user.json() == {"service": False}
    assert as_service.json() == {"service": True}
    assert (
        client.get("/kit/api/either/", HTTP_AUTHORIZATION=f"Bearer {sign_token(token_type='refresh')}").status_code
        == 401
    )


@pytest.mark.parametrize(("claims", "status", "code"), [
    ({"email_verified": True}, 200, None),
    ({"email_verified": False}, 403, "email_not_verified"),
    ({}, 403, "email_not_verified"),  # a token from before the claim existed
    ({"email_verified": "true"}, 403, "email_not_verified"),  # only a JSON true counts
])  # fmt: skip
def test_moving_money_needs_a_verified_address(client: Client, claims: dict[str, Any], status: int, code: str) -> None:
    token = sign_token(**claims) if claims else sign_token(omit=("email_verified",))
    response = client.post("/kit/api/verified-only/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code


def test_moving_money_needs_a_person(client: Client) -> None:
    assert client.post("/kit/api/verified-only/").status_code == 401
    service = client.post("/kit/api/verified-only/", HTTP_AUTHORIZATION=f"Bearer {_service_token()}")
    assert service.status_code == 401  # a service token is not a person's
