import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from servicekit.auth import get_verifier
from users.clients.services import service_client_register
from users.models import ServiceClient

pytestmark = pytest.mark.django_db

SERVICE_TOKEN = "/auth/internal/service-token/"


def test_client_credentials_give_a_service_token_with_the_clients_scopes() -> None:
    _, secret = service_client_register(client_id="orders", scopes=["catalog:reserve", "payments:charge"])
    response = APIClient().post(SERVICE_TOKEN, {"client_id": "orders", "client_secret": secret})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    claims = get_verifier().decode(body["access_token"], token_type="service")
    assert claims["client_id"] == "orders"
    assert claims["scopes"] == ["catalog:reserve", "payments:charge"]
    assert "user_id" not in claims


def test_the_secret_is_stored_hashed() -> None:
    _, secret = service_client_register(client_id="payments", scopes=["bank:transfer"])
    stored = ServiceClient.objects.get(client_id="payments").secret_hash
    assert secret not in stored and stored.startswith("argon2")


@pytest.mark.parametrize(
    ("client_id", "secret"), [("orders", "wrong-secret"), ("nobody", "whatever"), ("disabled", "SECRET")]
)
def test_bad_client_credentials_are_401(client_id: str, secret: str) -> None:
    service_client_register(client_id="orders", scopes=[])
    _, disabled_secret = service_client_register(client_id="disabled", scopes=[])
    ServiceClient.objects.filter(client_id="disabled").update(is_active=False)
    response = APIClient().post(
        SERVICE_TOKEN, {"client_id": client_id, "client_secret": disabled_secret if secret == "SECRET" else secret}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_client"


def test_a_service_token_is_refused_where_a_user_is_required() -> None:
    _, secret = service_client_register(client_id="orders", scopes=[])
    token = APIClient().post(SERVICE_TOKEN, {"client_id": "orders", "client_secret": secret}).json()["access_token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/auth/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_type"


def test_registering_again_rotates_the_secret(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("register_service_client", "notifications", "--scope", "x:y")
    first = capsys.readouterr().out
    call_command("register_service_client", "notifications", "--scope", "x:y")
    second = capsys.readouterr().out
    old_secret = first.split("client_secret=")[1].split()[0]
    assert old_secret not in second
    response = APIClient().post(SERVICE_TOKEN, {"client_id": "notifications", "client_secret": old_secret})
    assert response.status_code == 401
