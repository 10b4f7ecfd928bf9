import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from products import services
from products.models import Category, Product

pytestmark = pytest.mark.django_db

PRODUCTS = "/catalog/api/products/"


def _skus(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["sku"] for item in response.json()["results"]]


def test_anyone_lists_active_products_newest_first_and_paginated(
    api_client: APIClient, product: Callable[..., Product]
) -> None:
    first, second = product(sku="A-1"), product(sku="B-2")
    product(sku="HIDDEN", is_active=False)
    body = api_client.get(PRODUCTS).json()
    assert body["count"] == 2
    assert [item["sku"] for item in body["results"]] == [second.sku, first.sku]
    item = body["results"][0]
    assert item["price"] == 1250 and item["currency"] == "EUR" and item["stock"] == 10 and item["in_stock"] is True
    assert set(item) >= {"id", "name", "slug", "description", "is_active", "image_url", "category", "created_at"}
    assert _skus(api_client.get(PRODUCTS, {"page_size": 1, "page": 2})) == [first.sku]


def test_an_inactive_product_is_invisible_to_customers_but_not_to_staff(
    api_client: APIClient, customer: APIClient, staff: APIClient, product: Callable[..., Product]
) -> None:
    hidden = product(is_active=False)
    assert api_client.get(f"{PRODUCTS}{hidden.id}/").status_code == 404
    assert customer.get(f"{PRODUCTS}{hidden.id}/").status_code == 404
    assert staff.get(f"{PRODUCTS}{hidden.id}/").json()["is_active"] is False
    assert _skus(staff.get(PRODUCTS, {"is_active": "false"})) == [hidden.sku]
    assert _skus(customer.get(PRODUCTS, {"is_active": "false"})) == []


def test_search_filters_and_ordering(api_client: APIClient, product: Callable[..., Product]) -> None:
    coffee = services.category_save(name="Coffee")
    beans = services.category_save(name="Beans", parent=coffee)
    cheap = product(sku="CHEAP", name="Filter roast", price=500, stock=0, category=beans)
    dear = product(sku="DEAR", name="Grinder", price=9000, description="Burr grinder for espresso", category=coffee)
    other = product(sku="BOOK-1", name="A book", price=2000)
    assert sorted(_skus(api_client.get(PRODUCTS, {"search": "espresso"}))) == [dear.sku]
    assert _skus(api_client.get(PRODUCTS, {"search": "book-"})) == [other.sku]
    assert sorted(_skus(api_client.get(PRODUCTS, {"category": str(coffee.id)}))) == sorted([cheap.sku, dear.sku])
    assert _skus(api_client.get(PRODUCTS, {"category": str(beans.id)})) == [cheap.sku]
    assert _skus(api_client.get(PRODUCTS, {"min_price": 1000, "max_price": 5000})) == [other.sku]
    assert _skus(api_client.get(PRODUCTS, {"in_stock": "false"})) == [cheap.sku]
    assert _skus(api_client.get(PRODUCTS, {"ordering": "price"})) == [cheap.sku, other.sku, dear.sku]
    assert _skus(api_client.get(PRODUCTS, {"ordering": "-price"})) == [dear.sku, other.sku, cheap.sku]
    assert _skus(api_client.get(PRODUCTS, {"ordering": "name"})) == [other.sku, cheap.sku, dear.sku]
    assert _skus(api_client.get(PRODUCTS, {"ordering": "oldest"})) == [cheap.sku, dear.sku, other.sku]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"search": "x" * 10_000}, "search"),
        ({"min_price": "1.5"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "lots"}, "max_price"),
        ({"category": "not-a-uuid"}, "category"),
        ({"ordering": "popularity"}, "ordering"),
        ({"in_stock": "perhaps"}, "in_stock"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(api_client: APIClient, query: dict[str, str], field: str) -> None:
    response = api_client.get(PRODUCTS, query)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and field in response.json()["fields"]


def test_a_page_past_the_end_is_a_404(api_client: APIClient, product: Callable[..., Product]) -> None:
    product()
    response = api_client.get(PRODUCTS, {"page": 10**12})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def _new(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Moka pot", "sku": "MOKA-3", "price": 3500, "currency": "EUR", "stock": 7}
    body.update(fields)
    return body


def test_staff_create_replace_update_and_delete_a_product(staff: APIClient, category: Category) -> None:
    created = staff.post(PRODUCTS, _new(category_id=str(category.id), description="Three cups"), format="json")
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["slug"] == "moka-pot-moka-3" and product["category"]["id"] == str(category.id)
    url = f"{PRODUCTS}{product['id']}/"

    patched = staff.patch(url, {"price": 3900}, format="json")
    assert patched.status_code == 200 and patched.json()["price"] == 3900
    assert patched.json()["description"] == "Three cups"

    replaced = staff.put(url, _new(name="Moka pot XL", price=4200), format="json").json()
    assert replaced["name"] == "Moka pot XL" and replaced["description"] == "" and replaced["category"] is None
    assert replaced["stock"] == 7

    assert staff.delete(url).status_code == 204
    assert not Product.objects.filter(id=product["id"]).exists()


def test_deleting_a_product_an_order_refers_to_only_deactivates_it(
    staff: APIClient, api_client: APIClient, product: Callable[..., Product]
) -> None:
    ordered = product()
    services.reservation_create(order_id=uuid.uuid4(), lines=[(ordered.id, 1)])
    assert staff.delete(f"{PRODUCTS}{ordered.id}/").status_code == 204
    ordered.refresh_from_db()
    assert ordered.is_active is False
    assert api_client.get(f"{PRODUCTS}{ordered.id}/").status_code == 404


def test_customers_and_anonymous_callers_cannot_write(
    customer: APIClient, api_client: APIClient, product: Callable[..., Product]
) -> None:
    existing = product()
    assert customer.post(PRODUCTS, _new(), format="json").status_code == 403
    assert customer.patch(f"{PRODUCTS}{existing.id}/", {"price": 1}, format="json").status_code == 403
    assert customer.delete(f"{PRODUCTS}{existing.id}/").status_code == 403
    assert api_client.post(PRODUCTS, _new(), format="json").status_code == 401
    assert api_client.delete(f"{PRODUCTS}{existing.id}/").status_code == 401
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": 10.5}, "price"),
        ({"price": "1000"}, "price"),
        ({"price": True}, "price"),
        ({"price": 10**12}, "price"),
        ({"stock": -3}, "stock"),
        ({"stock": 2.0}, "stock"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "XXX"}, "currency"),
        ({"sku": "has space"}, "sku"),
        ({"sku": ""}, "sku"),
        ({"name": ""}, "name"),
        ({"category_id": str(uuid.uuid4())}, "category_id"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"description": "x" * 10_001}, "description"),
    ],
)
def test_a_bad_product_is_a_400_and_nothing_is_written(staff: APIClient, fields: dict[str, Any], field: str) -> None:
    response = staff.post(PRODUCTS, _new(**fields), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Product.objects.exists()


def test_a_duplicate_sku_or_slug_is_a_400(staff: APIClient, product: Callable[..., Product]) -> None:
    existing = product(sku="TAKEN", slug="taken")
    assert "sku" in staff.post(PRODUCTS, _new(sku="TAKEN"), format="json").json()["fields"]
    assert "slug" in staff.post(PRODUCTS, _new(slug="taken"), format="json").json()["fields"]
    # A product may keep its own sku when it is replaced.
    assert staff.put(f"{PRODUCTS}{existing.id}/", _new(sku="TAKEN"), format="json").status_code == 200


def test_products_with_the_same_name_get_different_slugs(staff: APIClient) -> None:
    first = staff.post(PRODUCTS, _new(sku="S-1", name="Mug"), format="json").json()
    second = staff.post(PRODUCTS, _new(sku="S-1B", name="Mug S 1"), format="json").json()
    assert first["slug"] == "mug-s-1"
    assert second["slug"] != first["slug"] and second["slug"].startswith("mug-s-1")


def test_a_product_list_answers_304_until_something_changes(
    api_client: APIClient, product: Callable[..., Product]
) -> None:
    item = product()
    first = api_client.get(PRODUCTS)
    etag = first["ETag"]
    assert first["Cache-Control"] == "no-cache" and "Authorization" in first["Vary"]
    again = api_client.get(PRODUCTS, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert api_client.get(PRODUCTS, {"ordering": "price"}, HTTP_IF_NONE_MATCH=etag).status_code == 200

    services.product_save(product=item, price=999)
    changed = api_client.get(PRODUCTS, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_deleted_product_changes_the_list_etag(
    api_client: APIClient, staff: APIClient, product: Callable[..., Product]
) -> None:
    product()
    older = product()
    etag = api_client.get(PRODUCTS)["ETag"]
    Product.objects.filter(id=older.id).delete()
    assert api_client.get(PRODUCTS, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_product_answers_304_by_etag_or_date_and_staff_get_their_own_etag(
    api_client: APIClient, staff: APIClient, product: Callable[..., Product]
) -> None:
    item = product()
    url = f"{PRODUCTS}{item.id}/"
    first = api_client.get(url)
    assert first.status_code == 200 and first["Last-Modified"]
    assert api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert api_client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    staff_copy = staff.get(url)
    assert staff_copy["ETag"] != first["ETag"] and staff_copy["Cache-Control"] == "private, no-cache"
    services.product_save(product=item, name="Renamed")
    assert api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_an_unknown_product_is_a_404(api_client: APIClient) -> None:
    assert api_client.get(f"{PRODUCTS}{uuid.uuid4()}/").status_code == 404


def test_the_openapi_document_lets_anyone_read_the_catalog_and_only_staff_write_it(api_client: APIClient) -> None:
    document = api_client.get("/catalog/api/schema/?format=json").json()
    products = document["paths"]["/catalog/api/products/"]
    assert {} in products["get"]["security"] and {"bearerAuth": []} in products["get"]["security"]
    assert products["post"]["security"] == [{"bearerAuth": []}]
    assert {} in document["paths"]["/catalog/api/products/{product_id}/"]["get"]["security"]
    assert {} in document["paths"]["/catalog/api/categories/"]["get"]["security"]
