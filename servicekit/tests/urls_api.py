from django.urls import path

from tests.urls import Boom, Clash, Either, Scoped, StaffOnly, Validate, VerifiedOnly, WidgetBuy, WidgetCreate

urlpatterns = [
    path("boom/", Boom.as_view()),
    path("clash/", Clash.as_view()),
    path("validate/", Validate.as_view()),
    path("scoped/", Scoped.as_view()),
    path("staff-only/", StaffOnly.as_view()),
    path("either/", Either.as_view()),
    path("widgets/", WidgetCreate.as_view()),
    path("widgets/buy/", WidgetBuy.as_view()),
    path("verified-only/", VerifiedOnly.as_view()),
]
