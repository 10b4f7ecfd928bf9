from typing import Any

import pytest

from users.models import User


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
