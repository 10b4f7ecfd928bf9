from django.urls import path

from ledger import apis

urlpatterns = [
    path("transfers/", apis.MerchantMovementApi.as_view(), name="internal-transfer"),
]
