from django.urls import path

from ledger import internal_apis

urlpatterns = [
    path("movements/", internal_apis.MovementCreateApi.as_view(), name="internal-movement-create"),
]
