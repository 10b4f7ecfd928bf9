from django.urls import path

from products import internal_apis, services

urlpatterns = [
    path("reservations/", internal_apis.ReservationCreateApi.as_view(), name="reservation-create"),
    path("reservations/<uuid:order_id>/", internal_apis.ReservationDetailApi.as_view(), name="reservation-detail"),
    path(
        "reservations/<uuid:order_id>/commit/",
        internal_apis.ReservationActionApi.as_view(action=services.reservation_commit),
        name="reservation-commit",
    ),
    path(
        "reservations/<uuid:order_id>/release/",
        internal_apis.ReservationActionApi.as_view(action=services.reservation_release),
        name="reservation-release",
    ),
]
