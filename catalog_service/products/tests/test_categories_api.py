import uuid
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from products.models import Category, Product

pytestmark = pytest.mark.django_db

CATEGORIES = "/catalog/api/categories/"


def test_staff_manage_a_category_tree_and_anyone_reads_it(staff: APIClient, api_client: APIClient) -> None:
    drinks = staff.post(CATEGORIES, {"name": "Drinks"}, format="json")
    assert drinks.status_code == 201 and drinks.json()["slug"] == "drinks"
    tea = staff.post(CATEGORIES, {"name": "Tea", "parent_id": drinks.json()["id"]}, format="json").json()
    assert tea["parent_id"] == drinks.json()["id"]
    listed = api_client.get(CATEGORIES).json()
    assert listed["count"] == 2 and [item["name"] for item in listed["results"]] == ["Drinks", "Tea"]
    renamed = staff.patch(f"{CATEGORIES}{tea['id']}/", {"name": "Green tea"}, format="json").json()
    assert renamed["name"] == "Green tea" and renamed["slug"] == "tea" and renamed["parent_id"] == tea["parent_id"]
    replaced = staff.put(f"{CATEGORIES}{tea['id']}/", {"name": "Tea"}, format="json").json()
    assert replaced["parent_id"] is None
    assert api_client.get(f"{CATEGORIES}{tea['id']}/").json()["name"] == "Tea"


def test_a_category_cannot_sit_under_itself_or_its_descendants(staff: APIClient) -> None:
    top = staff.post(CATEGORIES, {"name": "Top"}, format="json").json()
    low = staff.post(CATEGORIES, {"name": "Low", "parent_id": top["id"]}, format="json").json()
    for parent in (top["id"], low["id"]):
        response = staff.patch(f"{CATEGORIES}{top['id']}/", {"parent_id": parent}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "category_cycle"


def test_a_category_in_use_is_not_deleted(
    staff: APIClient, category: Category, product: Callable[..., Product]
) -> None:
    product(category=category)
    response = staff.delete(f"{CATEGORIES}{category.id}/")
    assert response.status_code == 409 and response.json()["code"] == "category_in_use"
    Product.objects.all().delete()
    assert staff.delete(f"{CATEGORIES}{category.id}/").status_code == 204


def test_bad_category_input_is_a_400(staff: APIClient, category: Category) -> None:
    assert "name" in staff.post(CATEGORIES, {}, format="json").json()["fields"]
    assert "slug" in staff.post(CATEGORIES, {"name": "X", "slug": category.slug}, format="json").json()["fields"]
    assert "slug" in staff.post(CATEGORIES, {"name": "X", "slug": "not a slug"}, format="json").json()["fields"]
    unknown = staff.post(CATEGORIES, {"name": "X", "parent_id": str(uuid.uuid4())}, format="json")
    assert unknown.status_code == 400 and "parent_id" in unknown.json()["fields"]


def test_customers_cannot_write_categories(customer: APIClient, category: Category) -> None:
    assert customer.post(CATEGORIES, {"name": "Mine"}, format="json").status_code == 403
    assert customer.delete(f"{CATEGORIES}{category.id}/").status_code == 403
