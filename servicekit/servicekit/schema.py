"""OpenAPI for every service (drf-spectacular): the bearer scheme, and only the public endpoints."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from servicekit.pagination import PageLinkField


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, which also knows our permissions that let anyone read.

    When every permission class of a view has `anonymous_reads = True` (IsStaffOrReadOnly), its GET
    and HEAD operations list "no token" (`{}`) among their security requirements, as AllowAny would.
    """

    def get_auth(self) -> list[dict[str, Any]]:
        auths: list[dict[str, Any]] = super().get_auth()
        # DRF lets a request through only if every permission does: so must each of them, for "no token".
        permissions = self.view.get_permissions()
        anyone = bool(permissions) and all(getattr(permission, "anonymous_reads", False) for permission in permissions)
        if anyone and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


class _Bearer(OpenApiAuthenticationExtension):
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class JWTAuthenticationScheme(_Bearer):
    """An access token from auth_service: `Authorization: Bearer <access>` ("Authorize" in Swagger UI)."""

    target_class = "servicekit.auth.JWTAuthentication"
    match_subclasses = True


class UserOrServiceAuthenticationScheme(_Bearer):
    target_class = "servicekit.auth.UserOrServiceAuthentication"


class StrictIntegerFieldSchema(OpenApiSerializerFieldExtension):
    """servicekit's strict integers (amounts, quantities): a JSON integer within bounds."""

    target_class = "servicekit.fields.StrictIntegerField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.target.min_value, "maximum": self.target.max_value}


def public_endpoints(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Leave out what the gateway hides (service-to-service `internal/`) and the admin."""
    return [endpoint for endpoint in endpoints if "/internal/" not in endpoint[0] and "/admin/" not in endpoint[0]]


_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def gateway_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Document on every operation what may answer it before its view does (a postprocessing hook).

    429: the gateway rate limits every `/<prefix>/api/` request per client address (sign-in, reads
    and writes each have their limit). 503: the service, or its database, cannot answer now (the
    gateway's answer for a service that is down, the service's for a database that is). 413: a body
    over the gateway's or the service's size limit, on every operation that takes one. All in the
    one error shape.
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            added = [429, 503] if "/api/" in path else []
            if "requestBody" in operation:
                added.append(413)
            for status in added:
                responses.setdefault(
                    str(status),
                    {
                        "description": _ERROR_MEANINGS[status],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


_COMPONENT = "#/components/schemas/"


def typed_nullable_objects(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Write each nullable reference to an object component out as a typed object (a postprocessing hook).

    drf-spectacular documents a nullable nested serializer as `{"allOf": [{"$ref": ...}], "nullable":
    true}`. OpenAPI 3.0.3 lets `nullable` add null only to a `type` in the same schema object, and the
    referenced object refuses null anyway, so a strict client rejects a real null. The component is
    copied in its place instead: `{"type": "object", "nullable": true, "properties": ...}`.
    """
    schemas = result.get("components", {}).get("schemas", {})

    def referenced_object(node: dict[str, Any]) -> str | None:
        parts = node.get("allOf")
        if node.get("nullable") is not True or "type" in node or not isinstance(parts, list) or len(parts) != 1:
            return None
        reference = parts[0].get("$ref", "") if isinstance(parts[0], dict) else ""
        name = reference.removeprefix(_COMPONENT)
        if not reference.startswith(_COMPONENT) or schemas.get(name, {}).get("type") != "object":
            return None
        return name

    def typed(node: Any, inlining: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [typed(item, inlining) for item in node]
        if not isinstance(node, dict):
            return node
        name = referenced_object(node)
        # A component that contains itself (a tree) is left as it is rather than written out forever.
        if name is not None and name not in inlining:
            own = {key: value for key, value in node.items() if key != "allOf"}
            return typed({**copy.deepcopy(schemas[name]), **own}, (*inlining, name))
        return {key: typed(value, inlining) for key, value in node.items()}

    typed_result: dict[str, Any] = typed(result, ())
    return typed_result


# --- Helpers the services use to describe their APIViews -------------------------------------


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error, from every service, in one shape."""

    code = serializers.CharField(help_text="Machine-readable, e.g. `validation_error`, `insufficient_funds`.")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(help_text="Per-field messages (validation errors), else empty.")  # type: ignore[assignment]
    request_id = serializers.CharField(help_text="The X-Request-ID of the request, for the logs.")


_ERROR_MEANINGS = {
    400: "Invalid input: `fields` names what is wrong.",
    401: "No token, or an invalid or expired one.",
    403: "Signed in, but not allowed (a role or scope is missing).",
    404: "Not found, or not yours.",
    409: "Conflicts with the current state (the code says which).",
    413: "The request body is too large (over the gateway's GATEWAY_MAX_BODY_SIZE or the service's "
    "DATA_UPLOAD_MAX_MEMORY_SIZE).",
    422: "This Idempotency-Key was used with another request body.",
    429: "Too many attempts: slow down (the gateway's rate limit, or a sign-in lockout).",
    503: "The service, its database or a service it depends on is unavailable; retry.",
    504: "A service this request depends on did not answer in time; retry with the same Idempotency-Key.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`, each in the one error shape."""
    return {status: OpenApiResponse(ErrorSerializer, description=_ERROR_MEANINGS[status]) for status in statuses}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r"^[!-~]{1,255}$",  # what servicekit.idempotency accepts
    description="1-255 visible ASCII characters, new for every operation (a UUID will do). Sent again with the "
    "same body: the first response is replayed (`Idempotent-Replayed: true`); with another body: 422; "
    "while the first is still running, most operations wait for it and replay its answer; those that call other "
    "services between commits (paying an order) answer 409 `idempotency_in_progress`.",
)


@cache
def page_of(serializer_class: type[serializers.Serializer[Any]]) -> type[serializers.Serializer[Any]]:
    """The paginated list of `serializer_class` every list endpoint answers."""
    name = serializer_class.__name__.removesuffix("Serializer").removesuffix("Output")
    return type(
        f"{name}Page",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(help_text="Items in all pages."),
            "next": PageLinkField(
                allow_null=True,
                help_text="The next page, or null; a path and query unless the gateway has an absolute public URL.",
            ),
            "previous": PageLinkField(
                allow_null=True,
                help_text="The previous page, or null; a path and query unless the gateway has an absolute public URL.",
            ),
            "results": serializer_class(many=True),
            "__module__": serializer_class.__module__,
        },
    )


PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="1-based; past the end: 404."),
    OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Default 20, at most 100."),
]


def filter_parameters(filterset_class: type[Any]) -> list[OpenApiParameter]:
    """Query parameters documented from a django-filter FilterSet, with its choices and help."""
    parameters = []
    for name, field in filterset_class.base_filters.items():
        choices = getattr(field, "extra", {}).get("choices")
        enum = [value for value, _ in choices] if choices else None
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                enum=enum,
                description=str(field.label or name.replace("_", " ")),
            )
        )
    return parameters


class HealthSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(help_text="`ok`, or `unavailable` (readiness).")
    service = serializers.CharField()


class ReadySerializer(HealthSerializer):
    checks = serializers.DictField(child=serializers.CharField(), help_text="`database`, `broker`: `ok` or a reason.")


class WhoAmISerializer(serializers.Serializer[Any]):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.CharField())
    service = serializers.CharField(help_text="The service that answered.")
