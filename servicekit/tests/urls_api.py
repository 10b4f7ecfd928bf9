from django.urls import path

from tests.urls import Boom, Clash, Validate

urlpatterns = [
    path("boom/", Boom.as_view()),
    path("clash/", Clash.as_view()),
    path("validate/", Validate.as_view()),
]
