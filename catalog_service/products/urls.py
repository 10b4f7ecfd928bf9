from django.urls import URLPattern, URLResolver, path

from products import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("categories/", apis.CategoryListApi.as_view(), name="category-list"),
    path("categories/<uuid:category_id>/", apis.CategoryDetailApi.as_view(), name="category-detail"),
    path("products/", apis.ProductListApi.as_view(), name="product-list"),
    path("products/<uuid:product_id>/", apis.ProductDetailApi.as_view(), name="product-detail"),
]
