"""The catalog API: public reads with conditional GET, and staff writes."""

from __future__ import annotations

import functools
import uuid
from typing import Any, cast

from django.core.paginator import Paginator
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from products import selectors, services
from products.conditional import IF_MODIFIED_SINCE, IF_NONE_MATCH, NOT_MODIFIED, conditional
from products.models import Product
from products.serializers import (
    CategoryInputSerializer,
    CategoryOutputSerializer,
    ProductInputSerializer,
    ProductOutputSerializer,
)
from servicekit.api import filtered, paginated, validated
from servicekit.pagination import PageNumberPagination
from servicekit.permissions import IsStaffOrReadOnly
from servicekit.schema import PAGE_PARAMETERS, errors, filter_parameters, page_of

# What PUT sets a field to when the body leaves it out: a replacement, as on creation. Stock is
# left alone unless given, since reservations move it all the time.
PRODUCT_DEFAULTS: dict[str, Any] = {"description": "", "is_active": True, "image_url": "", "category": None, "slug": ""}
CATEGORY_DEFAULTS: dict[str, Any] = {"description": "", "parent": None, "slug": ""}

# --- OpenAPI: the request examples ---------------------------------------------------------

CATEGORY_EXAMPLES = [
    OpenApiExample(
        "A top-level category",
        value={"name": "Coffee", "slug": "coffee", "description": "Beans and ground coffee."},
        request_only=True,
    ),
    OpenApiExample(
        "A subcategory",
        value={"name": "Espresso", "parent_id": "3f1c9a52-8d4e-4b7a-9c61-2a5e7d0b4f18"},
        request_only=True,
    ),
]
PRODUCT_EXAMPLES = [
    OpenApiExample(
        "A product",
        value={
            "name": "Espresso beans, 1 kg",
            "sku": "COF-ESP-1KG",
            "description": "Dark roast, 70% arabica.",
            "price": 1250,
            "currency": "EUR",
            "stock": 40,
            "is_active": True,
            "image_url": "https://cdn.example.com/products/cof-esp-1kg.jpg",
            "category_id": "3f1c9a52-8d4e-4b7a-9c61-2a5e7d0b4f18",
        },
        request_only=True,
    ),
]


class _CountedPaginator(Paginator):
    """Django's paginator given the count already known (the list's ETag counted it), so it runs no `COUNT(*)`."""

    def __init__(self, object_list: Any, per_page: int, *, known_count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.count = known_count  # the cached property, filled in


def _page(request: Request, view: APIView, products: Any, count: int) -> Response:
    """One page of `products` in the shared page shape (servicekit's pagination), counted already."""
    pagination = PageNumberPagination()
    pagination.django_paginator_class = cast(Any, functools.partial(_CountedPaginator, known_count=count))
    page = pagination.paginate_queryset(products, request, view=view)
    return pagination.get_paginated_response(ProductOutputSerializer(cast(Any, page), many=True).data)


def _staff(request: Request) -> bool:
    """Whether the caller is staff (who see, and change, products off sale); anonymous readers are not."""
    return bool(getattr(request.user, "is_staff", False))


class CategoryListApi(APIView):
    """Every category (anyone); staff create."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        operation_id="categories_list",
        summary="List categories",
        tags=["categories"],
        parameters=PAGE_PARAMETERS,
        responses={200: page_of(CategoryOutputSerializer), **errors(404)},
    )
    def get(self, request: Request) -> Response:
        return paginated(request, self, selectors.category_list(), CategoryOutputSerializer)

    @extend_schema(
        summary="Create a category (staff)",
        tags=["categories"],
        request=CategoryInputSerializer,
        responses={201: CategoryOutputSerializer, **errors(400, 401, 403)},
        examples=CATEGORY_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        data = validated(CategoryInputSerializer, request)
        category = services.category_save(**data)
        return Response(CategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(APIView):
    """One category (anyone); staff replace, update or delete it (only when empty)."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        operation_id="categories_retrieve",
        summary="Get a category",
        tags=["categories"],
        responses={200: CategoryOutputSerializer, **errors(404)},
    )
    def get(self, request: Request, category_id: uuid.UUID) -> Response:
        return Response(CategoryOutputSerializer(selectors.category_detail(category_id)).data)

    @extend_schema(
        summary="Replace a category (staff)",
        tags=["categories"],
        request=CategoryInputSerializer,
        responses={200: CategoryOutputSerializer, **errors(400, 401, 403, 404)},
        examples=CATEGORY_EXAMPLES,
    )
    def put(self, request: Request, category_id: uuid.UUID, partial: bool = False) -> Response:
        category = selectors.category_detail(category_id)
        data = validated(CategoryInputSerializer, request, partial=partial, instance_id=category.id)
        if not partial:
            data = {**CATEGORY_DEFAULTS, **data}
        category = services.category_save(category=category, **data)
        return Response(CategoryOutputSerializer(category).data)

    @extend_schema(
        summary="Update some fields of a category (staff)",
        tags=["categories"],
        request=CategoryInputSerializer,
        responses={200: CategoryOutputSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, category_id: uuid.UUID) -> Response:
        return self.put(request, category_id, partial=True)

    @extend_schema(
        summary="Delete an empty category (staff)",
        tags=["categories"],
        responses={204: None, **errors(401, 403, 404, 409)},
    )
    def delete(self, request: Request, category_id: uuid.UUID) -> Response:
        services.category_delete(category=selectors.category_detail(category_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductListApi(APIView):
    """Products anyone may buy (staff: all), searched, filtered, ordered and paginated; staff create."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        operation_id="products_list",
        summary="List products",
        tags=["products"],
        parameters=[*filter_parameters(selectors.ProductFilter), *PAGE_PARAMETERS, IF_NONE_MATCH],
        responses={200: page_of(ProductOutputSerializer), 304: NOT_MODIFIED, **errors(400, 404)},
    )
    def get(self, request: Request) -> Any:
        products = filtered(selectors.ProductFilter, request, selectors.product_list(staff=_staff(request)))
        etag, count = selectors.list_validators(products, query=request.get_full_path(), staff=_staff(request))
        not_modified = conditional(request, None, etag=etag)
        if not_modified is not None:
            return not_modified
        response = _page(request, self, products, count)
        return conditional(request, response, etag=etag)

    @extend_schema(
        summary="Create a product (staff)",
        tags=["products"],
        request=ProductInputSerializer,
        responses={201: ProductOutputSerializer, **errors(400, 401, 403)},
        examples=PRODUCT_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        data = validated(ProductInputSerializer, request)
        product = services.product_save(**data)
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    """One product (inactive ones for staff only); staff replace, update or delete it."""

    permission_classes = [IsStaffOrReadOnly]

    def _product(self, request: Request, product_id: uuid.UUID) -> Product:
        return selectors.product_detail(product_id, staff=_staff(request))

    @extend_schema(
        operation_id="products_retrieve",
        summary="Get a product",
        tags=["products"],
        parameters=[IF_NONE_MATCH, IF_MODIFIED_SINCE],
        responses={200: ProductOutputSerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, product_id: uuid.UUID) -> Any:
        product = self._product(request, product_id)
        etag, last_modified = selectors.product_validators(product, staff=_staff(request))
        not_modified = conditional(request, None, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return not_modified
        response = Response(ProductOutputSerializer(product).data)
        return conditional(request, response, etag=etag, last_modified=last_modified)

    @extend_schema(
        summary="Replace a product (staff)",
        tags=["products"],
        request=ProductInputSerializer,
        responses={200: ProductOutputSerializer, **errors(400, 401, 403, 404)},
        examples=PRODUCT_EXAMPLES,
    )
    def put(self, request: Request, product_id: uuid.UUID, partial: bool = False) -> Response:
        product = self._product(request, product_id)
        data = validated(ProductInputSerializer, request, partial=partial, instance_id=product.id)
        if not partial:
            data = {**PRODUCT_DEFAULTS, **data}
        product = services.product_save(product=product, **data)
        return Response(ProductOutputSerializer(product).data)

    @extend_schema(
        summary="Update some fields of a product (staff)",
        tags=["products"],
        request=ProductInputSerializer,
        responses={200: ProductOutputSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, product_id: uuid.UUID) -> Response:
        return self.put(request, product_id, partial=True)

    @extend_schema(
        summary="Delete a product, or deactivate one that orders refer to (staff)",
        tags=["products"],
        responses={204: None, **errors(401, 403, 404)},
    )
    def delete(self, request: Request, product_id: uuid.UUID) -> Response:
        services.product_delete(product=self._product(request, product_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
