from django.urls import path

from accounts import apis

urlpatterns = [
    path("accounts/", apis.AccountListApi.as_view(), name="account-list"),
]
