"""The settings every service shares, built by `service_settings` from the concerns beside it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

from servicekit.conf.database import database_settings
from servicekit.conf.development_secret import development_secret_key
from servicekit.conf.environment import EXAMPLE_SECRET_MARK, REPO_ROOT, app_env, env, is_development, secret
from servicekit.conf.logs import logging_settings
from servicekit.conf.messaging import events_settings
from servicekit.conf.tokens import jwt_settings
from servicekit.conf.web import api_docs_settings, cors_settings, secure_cookies


def service_settings(
    *,
    name: str,
    base_dir: Path,
    apps: list[str],
    auth_user_model: str | None = None,
    own_keys: bool = False,
) -> dict[str, Any]:
    """Return the settings every service shares; `name` is both the URL prefix and the database name."""
    development = is_development()
    settings: dict[str, Any] = {
        "SERVICE_NAME": name,
        "URL_PREFIX": f"{name}/",
        "BASE_DIR": base_dir,
        "APP_ENV": app_env(),
        "DEBUG": env.bool("DJANGO_DEBUG", default=False),
        "SECRET_KEY": secret("DJANGO_SECRET_KEY", dev_default=lambda: development_secret_key(name)),
        "ALLOWED_HOSTS": env.list(
            "ALLOWED_HOSTS",
            default=["localhost", "127.0.0.1", "[::1]"] if development else environ.Env.NOTSET,
        ),
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django.contrib.postgres",
            "corsheaders",
            "rest_framework",
            "django_filters",
            "drf_spectacular",
            "drf_spectacular_sidecar",
            "servicekit",
            *apps,
        ],
        "MIDDLEWARE": [
            "servicekit.bodies.DrainRequestBodyMiddleware",
            "servicekit.requestid.RequestIDMiddleware",
            "corsheaders.middleware.CorsMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "config.urls",
        "WSGI_APPLICATION": "config.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ],
                },
            },
        ],
        "DATABASES": {"default": database_settings(name=name)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": f"/{name}/static/",
        "STATIC_ROOT": Path(env.str("STATIC_ROOT", default=str(REPO_ROOT / "var" / "static"))) / name,
        # Cookies of six services share one host: name them per service and scope them to the prefix.
        "SESSION_COOKIE_NAME": f"{name}_sessionid",
        "SESSION_COOKIE_PATH": f"/{name}/",
        "CSRF_COOKIE_NAME": f"{name}_csrftoken",
        "CSRF_COOKIE_PATH": f"/{name}/",
        "SESSION_COOKIE_HTTPONLY": True,
        # Admin sessions are short: a role removed in auth stops working within this many seconds.
        "SESSION_COOKIE_AGE": env.int("ADMIN_SESSION_SECONDS", default=3600),
        "SESSION_COOKIE_SECURE": secure_cookies(),
        "CSRF_COOKIE_SECURE": secure_cookies(),
        "CSRF_TRUSTED_ORIGINS": env.list("CSRF_TRUSTED_ORIGINS", default=[]),
        "CSRF_FAILURE_VIEW": "servicekit.errors.csrf_failure",
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "USE_X_FORWARDED_HOST": False,
        "DATA_UPLOAD_MAX_MEMORY_SIZE": env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024),
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": ["servicekit.auth.JWTAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["servicekit.parsers.JSONParser"],
            "DEFAULT_PAGINATION_CLASS": "servicekit.pagination.PageNumberPagination",
            "PAGE_SIZE": 20,
            "EXCEPTION_HANDLER": "servicekit.errors.exception_handler",
            "DEFAULT_SCHEMA_CLASS": "servicekit.schema.AutoSchema",
            "UNAUTHENTICATED_USER": None,
            "TEST_REQUEST_DEFAULT_FORMAT": "json",
        },
        "LOGGING": logging_settings(service=name),
        "IDEMPOTENCY_KEY_TTL": timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)),
        "IDEMPOTENCY_CLAIM_TIMEOUT": env.int("IDEMPOTENCY_CLAIM_TIMEOUT", default=60),
        # How this service calls others as itself: auth's private address and its client credentials.
        "AUTH_INTERNAL_URL": env.str("AUTH_INTERNAL_URL", default="http://127.0.0.1:8001"),
        "SERVICE_CLIENT_ID": env.str("SERVICE_CLIENT_ID", default=""),
        "SERVICE_CLIENT_SECRET": env.str("SERVICE_CLIENT_SECRET", default=""),
        # Seconds to connect to another service and to wait for its answer: a hung peer never hangs us.
        "SERVICE_CONNECT_TIMEOUT": env.float("SERVICE_CONNECT_TIMEOUT", default=2.0),
        "SERVICE_READ_TIMEOUT": env.float("SERVICE_READ_TIMEOUT", default=5.0),
        # The issuer verifies with its own key ring (`own_keys`); the others need a key file or a JWKS URL.
        **jwt_settings(own_keys=own_keys),
        **events_settings(name=name),
        **api_docs_settings(name=name),
        **cors_settings(),
    }
    if not development and EXAMPLE_SECRET_MARK in settings["SERVICE_CLIENT_SECRET"]:
        raise environ.ImproperlyConfigured("SERVICE_CLIENT_SECRET still holds the example value from .env.example")
    if auth_user_model:
        settings["AUTH_USER_MODEL"] = auth_user_model
    else:
        # Staff sign in to this service's admin with their auth_service credentials.
        settings["AUTHENTICATION_BACKENDS"] = ["servicekit.adminauth.AuthServiceBackend"]
    return settings
