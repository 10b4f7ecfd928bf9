import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from ledger import services
from ledger.models import Account
from servicekit.testing import user_client

ALICE = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
BOB = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
STAFF = uuid.UUID("5aff0000-0000-0000-0000-000000000003")


def client_for(user_id: uuid.UUID, *roles: str) -> APIClient:
    return user_client(user_id, *roles)


@pytest.fixture
def alice() -> APIClient:
    return client_for(ALICE)


@pytest.fixture
def bob() -> APIClient:
    return client_for(BOB)


@pytest.fixture
def staff() -> APIClient:
    return client_for(STAFF, "customer", "staff")


@pytest.fixture
def funded(db: Any) -> Callable[..., Account]:
    """Open an account for `owner` and deposit `balance` into it."""

    def make(owner: uuid.UUID = ALICE, balance: int = 10_000, currency: str = "EUR") -> Account:
        account = services.account_open(owner_id=owner, currency=currency)
        if balance:
            services.deposit_create(account_id=account.id, amount=balance, actor=services.Actor(user_id=STAFF))
        account.refresh_from_db()
        return account

    return make
