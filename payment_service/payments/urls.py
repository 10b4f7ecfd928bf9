from django.urls import URLPattern, URLResolver, path

from payments import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("payments/", apis.PaymentListApi.as_view(), name="payment-list"),
    path("payments/<uuid:payment_id>/", apis.PaymentDetailApi.as_view(), name="payment-detail"),
    path("payments/<uuid:payment_id>/refund/", apis.PaymentRefundApi.as_view(), name="payment-refund"),
]
