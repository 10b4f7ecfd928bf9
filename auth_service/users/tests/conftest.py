from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from users.models import User
from users.tokens.issuing import token_pair_for


@pytest.fixture(autouse=True)
def emails_sent_at_once(settings: Any) -> None:
    """Code emails go out in the request, so a test finds them in the outbox."""
    settings.AUTH_EMAIL_IN_BACKGROUND = False


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-staple"


@pytest.fixture
def user(db: Any, password: str) -> User:
    return User.objects.create_user(email="ada@example.com", password=password, full_name="Ada Lovelace")


@pytest.fixture
def contract_claims(user: User) -> dict[str, Any]:
    """auth loads the user behind a token, so the contract's tokens must name a real one."""
    return {"user_id": str(user.id), "email": user.email, "roles": user.roles}


@pytest.fixture
def signed_in() -> Callable[[User], APIClient]:
    """An API client signed in as a given user (with a fresh token pair)."""

    def client_of(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access']}")
        return client

    return client_of
