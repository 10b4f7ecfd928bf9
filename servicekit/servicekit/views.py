"""Views every service serves: liveness, readiness, the caller's identity and the ReDoc page."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.auth import ServiceTokenAuthentication
from servicekit.events import check_broker
from servicekit.permissions import IsService
from servicekit.schema import HealthSerializer, ReadySerializer, WhoAmISerializer, errors

logger = logging.getLogger(__name__)


class PublicApi(APIView):
    """An endpoint anyone may call without a token; a bad token it checks itself is still a 401."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HealthApi(PublicApi):
    """Alive: answers without touching the database or the broker."""

    @extend_schema(summary="Liveness: the service answers", tags=["health"], responses={200: HealthSerializer})
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "service": settings.SERVICE_NAME})


def check_database() -> str | None:
    """Return None when the database answers, else a short reason."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("readiness: database unreachable", extra={"error": type(error).__name__})
        return "unreachable"
    return None


class ReadyApi(PublicApi):
    """Ready: 200 when every dependency answers, 503 naming the ones that do not."""

    checks = {"database": check_database, "broker": check_broker}

    @extend_schema(
        summary="Readiness: the database and the broker answer",
        tags=["health"],
        responses={
            200: ReadySerializer,
            503: OpenApiResponse(ReadySerializer, description="A dependency is down; `checks` says which."),
        },
    )
    def get(self, request: Request) -> Response:
        results = {name: check() or "ok" for name, check in self.checks.items()}
        ready = all(result == "ok" for result in results.values())
        return Response(
            {"status": "ok" if ready else "unavailable", "service": settings.SERVICE_NAME, "checks": results},
            status=200 if ready else 503,
        )


class WhoAmIApi(APIView):
    """The caller as the verified access token describes it; no database work."""

    @extend_schema(
        summary="Who the token says you are", tags=["identity"], responses={200: WhoAmISerializer, **errors(401)}
    )
    def get(self, request: Request) -> Response:
        claims: dict[str, Any] = request.auth  # type: ignore[assignment]  # the verified claims
        return Response(
            {
                "user_id": claims["user_id"],
                "email": claims.get("email", ""),
                "roles": claims.get("roles", []),
                "service": settings.SERVICE_NAME,
            }
        )


class ServiceWhoAmIApi(APIView):
    """The calling service as its service token describes it; user tokens are refused."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [IsService]

    def get(self, request: Request) -> Response:
        claims: dict[str, Any] = request.auth  # type: ignore[assignment]  # the verified claims
        return Response(
            {"client_id": claims["client_id"], "scopes": claims.get("scopes", []), "service": settings.SERVICE_NAME}
        )


# ReDoc's bundle shows Redocly's logo from cdn.redoc.ly: the browser is told to load nothing from
# another origin (the logo is then left out), and ReDoc's inline styles and search worker still run.
REDOC_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
)


class RedocApi(SpectacularRedocView):
    """ReDoc with every asset from this service: no web fonts, and no other origin allowed."""

    template_name = "servicekit/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_CONTENT_SECURITY_POLICY
        return response
