"""What browsers meet: cookies, the API documents and CORS."""

from __future__ import annotations

from typing import Any

from servicekit.conf.environment import env, is_development


def secure_cookies() -> bool:
    """SECURE_COOKIES: true, false, or auto (the default: secure everywhere but in development)."""
    value = env.str("SECURE_COOKIES", default="auto").strip().lower()
    if value in ("", "auto"):
        return not is_development()
    return value in ("1", "true", "yes", "on")


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
