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
