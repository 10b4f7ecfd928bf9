"""Settings from the environment: the part every service shares, built by `service_settings`."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

env = environ.Env()

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
JSON_LOG_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}


def app_env() -> str:
    """Return the deployment environment; anything but development or test is treated as production."""
    return env.str("APP_ENV", default="production")


def is_development() -> bool:
    """Tell whether insecure development defaults may be used."""
    return app_env() in DEVELOPMENT_ENVIRONMENTS


EXAMPLE_SECRET_MARK = "change-me"


def secret(name: str, *, dev_default: str | Callable[[], str]) -> str:
    """Read a secret; outside development a missing one, or one still holding .env.example's
    "change-me" value, stops start-up with a message naming it. A callable `dev_default` is
    called only when the default is used."""
    if is_development():
        if name not in os.environ and callable(dev_default):
            return dev_default()
        return env.str(name, default=dev_default)
    value = env.str(name)
    if EXAMPLE_SECRET_MARK in value:
        raise environ.ImproperlyConfigured(f"{name} still holds the example value from .env.example: set a real secret")
    return value


DEVELOPMENT_SECRET_NAME = "development_secret"


def development_secret_file() -> Path | None:
    """The random file the development secret keys are derived from: `DEVELOPMENT_SECRET_FILE`, else
    `.keys/development_secret` in the checkout (git-ignored); None when servicekit is not run from
    a checkout (installed from its wheel, as in the images) and the variable is not set."""
    configured = env.str("DEVELOPMENT_SECRET_FILE", default="")
    if configured:
        return Path(configured)
    if not (REPO_ROOT / "servicekit" / "pyproject.toml").is_file():
        return None
    return REPO_ROOT / ".keys" / DEVELOPMENT_SECRET_NAME


def read_or_create_secret_file(path: Path) -> bytes:
    """The secret held by `path`, created first (32 random bytes, hex, mode 0600) if it is missing.

    Processes starting side by side agree: the new secret is written to a file of its own and
    linked into place only if no other process got there first, so every reader sees the one
    complete secret."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink()
    value = path.read_bytes().strip()
    if len(value) < 32:
        raise environ.ImproperlyConfigured(f"{path} holds no usable secret: delete it to have a new one made")
    return value


def derived_secret_key(master: bytes, name: str) -> str:
    """Service `name`'s Django secret key derived from `master`: each service's differs."""
    return hmac.new(master, f"django-secret-key:{name}".encode(), hashlib.sha256).hexdigest()


_PROCESS_SECRET = secrets.token_hex(32)


def development_secret_key(name: str) -> str:
    """Service `name`'s Django secret key when DJANGO_SECRET_KEY is not set (development and test).

    The test suites get a fixed key. In development it is derived from the checkout's random
    development secret file, created on first use: a secret of this checkout alone, distinct per
    service, the same for every process (the stack, a `manage.py` run by hand) and across restarts.
    Outside a checkout, with no DEVELOPMENT_SECRET_FILE, a process makes up its own: nothing it
    signs outlives it (set DJANGO_SECRET_KEY for anything that must).
    """
    if app_env() == "test":
        return f"test-only-{name}-secret-key"
    path = development_secret_file()
    if path is None:
        return derived_secret_key(_PROCESS_SECRET.encode(), name)
    return derived_secret_key(read_or_create_secret_file(path), name)


def worker_class() -> str:
    """Return the gunicorn worker class chosen by `GUNICORN_WORKER_CLASS` (gthread, sync or uvicorn)."""
    value = env.str("GUNICORN_WORKER_CLASS", default="gthread")
    if value not in {"gthread", "sync", "uvicorn"}:
        raise environ.ImproperlyConfigured(f"GUNICORN_WORKER_CLASS must be gthread, sync or uvicorn, not {value!r}")
    return value


def database_settings(*, name: str) -> dict[str, Any]:
    """Return the default database: persistent connections under WSGI, psycopg's pool under ASGI."""
    url = secret("DATABASE_URL", dev_default=f"postgres://{name}:{name}@127.0.0.1:5432/{name}")
    database = env.db_url_config(url)
    database["ENGINE"] = "django.db.backends.postgresql"
    database["ATOMIC_REQUESTS"] = False
    if env.bool("DATABASE_POOL", default=worker_class() == "uvicorn"):
        database["CONN_MAX_AGE"] = 0
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=8),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
        database["CONN_HEALTH_CHECKS"] = True
    database.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    return database


def secure_cookies() -> bool:
    """SECURE_COOKIES: true, false, or auto (the default: secure everywhere but in development)."""
    value = env.str("SECURE_COOKIES", default="auto").strip().lower()
    if value in ("", "auto"):
        return not is_development()
    return value in ("1", "true", "yes", "on")


def jwt_settings(*, own_keys: bool = False) -> dict[str, Any]:
    """Return what a verifier needs: where the keys are, the expected issuer and audience, the leeway."""
    jwks_url = env.str("JWT_JWKS_URL", default="")
    public_key = env.str("JWT_PUBLIC_KEY_FILE", default="")
    if not public_key and not jwks_url and not own_keys:
        public_key = secret("JWT_PUBLIC_KEY_FILE", dev_default=str(REPO_ROOT / ".keys" / "jwt_public.pem"))
    return {
        "JWT_PUBLIC_KEY_FILE": public_key,
        "JWT_JWKS_URL": jwks_url,
        # Seconds a fetched JWKS is used before it is fetched again (dropped keys stop verifying).
        "JWT_JWKS_MAX_AGE": env.float("JWT_JWKS_MAX_AGE", default=300.0),
        # Least seconds between fetches caused by tokens with an unknown kid.
        "JWT_JWKS_MIN_REFETCH": env.float("JWT_JWKS_MIN_REFETCH", default=30.0),
        "JWT_ISSUER": env.str("JWT_ISSUER", default="shop-auth"),
        "JWT_AUDIENCE": env.str("JWT_AUDIENCE", default="shop"),
        "JWT_LEEWAY": timedelta(seconds=env.int("JWT_LEEWAY_SECONDS", default=10)),
        # Verified tokens remembered per worker (0 turns the memo off).
        "JWT_VERIFY_CACHE_SIZE": env.int("JWT_VERIFY_CACHE_SIZE", default=4096),
    }


def events_settings(*, name: str) -> dict[str, Any]:
    """Return where events go: the broker, the topic exchange, this service's queue, the retry policy."""
    return {
        "EVENTS_BROKER_URL": secret("BROKER_URL", dev_default="amqp://guest:guest@127.0.0.1:5672//"),
        "EVENTS_EXCHANGE": env.str("EVENTS_EXCHANGE", default="shop.events"),
        # The queue this service consumes from (only consumers use it).
        "EVENTS_QUEUE": env.str("EVENTS_QUEUE", default=name),
        # Deliveries of a failing event before it is dead-lettered, and the waits between them (seconds).
        "EVENTS_MAX_ATTEMPTS": env.int("EVENTS_MAX_ATTEMPTS", default=5),
        "EVENTS_RETRY_DELAYS": [float(d) for d in env.list("EVENTS_RETRY_DELAYS", default=["1", "5", "30", "120"])],
        "EVENTS_CONNECT_TIMEOUT": env.float("EVENTS_CONNECT_TIMEOUT", default=3.0),
        # Dotted path to this service's {event type: handler} mapping, for `consume_events`.
        "EVENT_HANDLERS": env.str("EVENT_HANDLERS", default=""),
    }


def api_docs_settings(*, name: str) -> dict[str, Any]:
    """OpenAPI 3 at /<name>/api/schema/, Swagger UI and ReDoc served with their assets from this
    service (no CDN), and "Try it out" going through the gateway: GATEWAY_PUBLIC_URL, else `/`,
    which a browser resolves against the page the document was loaded from (the same origin)."""
    server = env.str("GATEWAY_PUBLIC_URL", default="").strip() or "/"
    return {
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Shop: {name} API",
            "DESCRIPTION": f"The {name} service of the shop, through the gateway. Errors have one shape: "
            "`code`, `message`, `fields`, `request_id`. Amounts are integers in minor units.",
            "VERSION": "1.0.0",
            "SERVERS": [{"url": server, "description": "gateway"}],
            "SCHEMA_PATH_PREFIX": f"/{name}/api",
            "SERVE_INCLUDE_SCHEMA": False,
            "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
            "SERVE_AUTHENTICATION": [],
            "COMPONENT_SPLIT_REQUEST": True,
            "PREPROCESSING_HOOKS": ["servicekit.schema.public_endpoints"],
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "servicekit.schema.gateway_responses",
                "servicekit.schema.typed_nullable_objects",
            ],
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "ENUM_NAME_OVERRIDES": {},
        },
    }


# Response headers a browser frontend may read besides the safelisted ones: Retry-After says when
# to try a 429 or a 503 again.
CORS_EXPOSE_HEADERS = ["x-request-id", "etag", "idempotent-replayed", "retry-after"]


def cors_settings() -> dict[str, Any]:
    """Which browser origins may call the API (a React frontend, say): CORS_ALLOWED_ORIGINS, comma
    separated. Tokens travel in the Authorization header, never in cookies, so credentials
    (cookies) are not allowed cross-origin."""
    return {
        "CORS_ALLOWED_ORIGINS": env.list("CORS_ALLOWED_ORIGINS", default=[]),
        "CORS_URLS_REGEX": r"^/[^/]+/(api|health|ready)/.*$",
        "CORS_ALLOW_CREDENTIALS": False,
        # If-None-Match and If-Modified-Since: a frontend revalidating the catalog's answers (304).
        "CORS_ALLOW_HEADERS": [
            "accept",
            "authorization",
            "content-type",
            "idempotency-key",
            "if-modified-since",
            "if-none-match",
            "x-request-id",
        ],
        # The gateway's answers expose the same list (nginx/gateway.conf.template): keep them equal.
        "CORS_EXPOSE_HEADERS": CORS_EXPOSE_HEADERS,
        "CORS_PREFLIGHT_MAX_AGE": 3600,
    }


def logging_settings(*, service: str) -> dict[str, Any]:
    """Return a LOGGING dict that writes one JSON object per line, each with the request id."""
    level = env.str("LOG_LEVEL", default="INFO")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "servicekit.requestid.RequestIDLogFilter", "service": service},
        },
        "formatters": {"json": JSON_LOG_FORMATTER},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            # Django's dev-server access lines duplicate the gateway's access log.
            "django.server": {"handlers": [], "propagate": False},
        },
    }


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


def email_settings() -> dict[str, Any]:
    """Django's email settings from EMAIL_URL, for every service that sends email (the same transport).

    smtp+tls://user:password@smtp.example.com:587 in production, the console in development, or
    files (filemail:// with EMAIL_FILE_PATH=/a/directory).
    """
    settings: dict[str, Any] = env.email_url_config(secret("EMAIL_URL", dev_default="consolemail://"))
    settings["EMAIL_FILE_PATH"] = env.str("EMAIL_FILE_PATH", default="") or settings.get("EMAIL_FILE_PATH", "")
    settings["EMAIL_TIMEOUT"] = env.int("EMAIL_TIMEOUT", default=10)
    settings["DEFAULT_FROM_EMAIL"] = env.str("DEFAULT_FROM_EMAIL", default="Shop <no-reply@shop.example>")
    return settings
