import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from products import services
from products.models import Category, Product
from servicekit.testing import service_client, user_client

STAFF = uuid.UUID("5aff0000-0000-0000-0000-000000000003")
CUSTOMER = uuid.UUID("c0570000-0000-0000-0000-000000000001")


@pytest.fixture
def staff() -> APIClient:
    return user_client(STAFF, "customer", "staff")


@pytest.fixture
def customer() -> APIClient:
    return user_client(CUSTOMER)


@pytest.fixture
def orders() -> APIClient:
    """order_service, calling with its catalog:reserve scope."""
    return service_client("orders", "catalog:reserve")


@pytest.fixture
def category(db: Any) -> Category:
    return services.category_save(name="Coffee")


@pytest.fixture
def product(db: Any) -> Callable[..., Product]:
    """Make a product; every call gets a fresh sku."""

    def make(**fields: Any) -> Product:
        values: dict[str, Any] = {
            "name": "Espresso beans",
            "sku": f"SKU-{uuid.uuid4().hex[:8]}",
            "price": 1250,
            "currency": "EUR",
            "stock": 10,
        }
        values.update(fields)
        return services.product_save(**values)

    return make
