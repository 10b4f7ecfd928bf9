from typing import Any

import pytest
from rest_framework.test import APIClient

from users.models import User
from users.tokens.issuing import token_pair_for

pytestmark = pytest.mark.django_db

USERS = "/auth/api/users/"


@pytest.fixture
def admin(db: Any) -> User:
    return User.objects.create_superuser(email="root@example.com", password="a-long-passphrase-9")


def _as(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access']}")
    return client


def test_admin_lists_users_with_search_role_filter_and_pages(admin: User, user: User) -> None:
    for number in range(3):
        User.objects.create_user(email=f"staffer{number}@example.com", password="x", roles=["customer", "staff"])
    client = _as(admin)
    everyone = client.get(USERS, {"page_size": 2}).json()
    assert everyone["count"] == 5 and len(everyone["results"]) == 2 and everyone["next"]
    assert {row["email"] for row in client.get(USERS, {"search": "ADA"}).json()["results"]} == {"ada@example.com"}
    staff = client.get(USERS, {"role": "staff"}).json()
    assert staff["count"] == 4  # three staffers and the admin


def test_user_list_rejects_an_unknown_role(admin: User) -> None:
    response = _as(admin).get(USERS, {"role": "emperor"})
    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_customers_and_staff_cannot_administer_users(user: User) -> None:
    staff = User.objects.create_user(email="staff@example.com", password="x", roles=["customer", "staff"])
    for caller in (user, staff):
        client = _as(caller)
        assert client.get(USERS).status_code == 403
        assert client.patch(f"{USERS}{user.id}/", {"roles": ["admin"]}).status_code == 403
    assert APIClient().get(USERS).status_code == 401


def test_admin_grants_roles_and_the_next_refresh_carries_them(admin: User, user: User) -> None:
    refresh = token_pair_for(user)["refresh"]
    response = _as(admin).patch(f"{USERS}{user.id}/", {"roles": ["customer", "staff"]}, format="json")
    assert response.status_code == 200
    assert response.json()["roles"] == ["customer", "staff"]
    refreshed = APIClient().post("/auth/api/token/refresh/", {"refresh": refresh})
    from servicekit.auth import get_verifier

    assert get_verifier().decode(refreshed.json()["access"])["roles"] == ["customer", "staff"]


def test_deactivating_a_user_ends_their_sessions(admin: User, user: User) -> None:
    refresh = token_pair_for(user)["refresh"]
    assert _as(admin).patch(f"{USERS}{user.id}/", {"is_active": False}, format="json").status_code == 200
    assert APIClient().post("/auth/api/token/refresh/", {"refresh": refresh}).status_code == 401


@pytest.mark.parametrize("body", [{"roles": []}, {"roles": ["emperor"]}, {"roles": "admin"}, {"is_active": "perhaps"}])
def test_bad_access_changes_are_400(admin: User, user: User, body: dict[str, Any]) -> None:
    assert _as(admin).patch(f"{USERS}{user.id}/", body, format="json").status_code == 400


def test_an_admin_cannot_lock_themselves_out(admin: User) -> None:
    client = _as(admin)
    assert client.patch(f"{USERS}{admin.id}/", {"roles": ["customer"]}, format="json").status_code == 400
    assert client.patch(f"{USERS}{admin.id}/", {"is_active": False}, format="json").status_code == 400


def test_unknown_user_is_404(admin: User) -> None:
    response = _as(admin).get(f"{USERS}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
