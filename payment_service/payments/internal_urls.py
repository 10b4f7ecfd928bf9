from django.urls import path

from payments import apis

urlpatterns = [
    path("payments/", apis.InternalChargeApi.as_view(), name="internal-charge"),
    path("payments/<uuid:payment_id>/refund/", apis.InternalRefundApi.as_view(), name="internal-refund"),
]
