from django.urls import path

from users.clients.apis import ServiceTokenApi

urlpatterns = [
    path("service-token/", ServiceTokenApi.as_view(), name="service-token"),
]
