from django.urls import path

from users import apis

urlpatterns = [
    path("service-token/", apis.ServiceTokenApi.as_view(), name="service-token"),
]
