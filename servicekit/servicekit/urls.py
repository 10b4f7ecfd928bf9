"""URL helpers: every service serves everything under its own prefix, so gateway and private URLs match."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from servicekit import errors, views

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error


def service_urlpatterns(
    *, api: str, internal: str | None = None, extra: list[URLPattern | URLResolver] | None = None
) -> list[URLPattern | URLResolver]:
    """Return the service's URL patterns under `/<prefix>/`: health, ready, whoami, admin, the `api`
    urlconf, the `internal` urlconf (service-to-service, hidden by the gateway) and any `extra` ones."""
    patterns: list[URLPattern | URLResolver] = [
        path("health/", views.HealthApi.as_view(), name="health"),
        path("ready/", views.ReadyApi.as_view(), name="ready"),
        path("api/whoami/", views.WhoAmIApi.as_view(), name="whoami"),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
        path("api/redoc/", views.RedocApi.as_view(url_name="schema"), name="redoc"),
        path("api/", include(api)),
        path("internal/whoami/", views.ServiceWhoAmIApi.as_view(), name="internal-whoami"),
        path("admin/", admin.site.urls),
        *(extra or []),
    ]
    if internal:
        patterns.append(path("internal/", include(internal)))
    return [path(settings.URL_PREFIX, include(patterns))]
