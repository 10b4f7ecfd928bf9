from django.urls import path

from servicekit.urls import handler400, handler403, handler404, handler500, service_urlpatterns  # noqa: F401
from users.tokens.apis import JwksApi, OpenIdConfigurationApi

urlpatterns = service_urlpatterns(
    api="users.urls",
    internal="users.internal_urls",
    extra=[
        path(".well-known/jwks.json", JwksApi.as_view(), name="jwks"),
        path(".well-known/openid-configuration", OpenIdConfigurationApi.as_view(), name="openid-configuration"),
    ],
)
