from django.urls import URLPattern, URLResolver, path

from orders import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", apis.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<uuid:order_id>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<uuid:order_id>/pay/", apis.OrderPayApi.as_view(), name="order-pay"),
    path("orders/<uuid:order_id>/cancel/", apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<uuid:order_id>/fulfil/", apis.OrderFulfilApi.as_view(), name="order-fulfil"),
]
