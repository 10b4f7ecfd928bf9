from django.urls import path

from products import apis, services

urlpatterns = [
    path("reservations/", apis.ReservationCreateApi.as_view(), name="reservation-create"),
    path("reservations/<uuid:order_id>/", apis.ReservationDetailApi.as_view(), name="reservation-detail"),
    path(
        "reservations/<uuid:order_id>/commit/",
        apis.ReservationActionApi.as_view(action=services.reservation_commit),
        name="reservation-commit",
    ),
    path(
        "reservations/<uuid:order_id>/release/",
        apis.ReservationActionApi.as_view(action=services.reservation_release),
        name="reservation-release",
    ),
]
