from django.apps import AppConfig
from django.conf import settings


class ServicekitConfig(AppConfig):
    name = "servicekit"
    verbose_name = "Service kit (idempotency, events)"

    def ready(self) -> None:
        from django.contrib import admin

        from servicekit import schema  # noqa: F401 - registers the OpenAPI extensions

        admin.site.site_header = f"Shop: {settings.SERVICE_NAME}"
        admin.site.site_title = f"{settings.SERVICE_NAME} admin"
        if "servicekit.adminauth.AuthServiceBackend" in settings.AUTHENTICATION_BACKENDS:
            from servicekit.adminauth import EmailAuthenticationForm

            admin.site.login_form = EmailAuthenticationForm
