"""One error type and one JSON error shape for every error, from DRF, from Django or from the domain.

Every error body is ``{"code": ..., "message": ..., "fields": {...}, "request_id": ...}``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from servicekit.requestid import current_request_id

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """Base of every domain error: a stable machine-readable code, a message and an HTTP status.

    A plain exception, so services, commands, consumers and reconcilers raise and catch it with no
    request in sight; `exception_handler` turns it into the one error shape at the edge.
    `extra` holds members an error's body carries after the four of the one shape (a declined
    payment's order, say), already plain JSON; it never replaces any of the four. `retry_after`,
    when an error sets it, is the seconds a client should wait before asking again (a 429's or a
    503's `Retry-After` header, rounded up).
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "application_error"
    default_detail = "The request could not be completed."
    retry_after: float | None = None

    def __init__(
        self,
        message: Any = None,
        code: str | None = None,
        *,
        fields: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = str(message) if message is not None else str(self.default_detail)
        self.code = code or self.default_code
        self.fields = fields or {}
        self.extra = dict(extra or {})
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NotFound(ApplicationError):
    """What was asked for does not exist, or is not the caller's to see (the two look the same)."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class Conflict(ApplicationError):
    """The request conflicts with the current state of the resource."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


def error_body(*, code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the one error shape."""
    return {"code": code, "message": message, "fields": fields or {}, "request_id": current_request_id()}


def _plain(detail: Any) -> Any:
    """Turn DRF's ErrorDetail trees into plain strings, lists and dicts."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


def _describe(exc: exceptions.APIException) -> tuple[str, str, dict[str, Any]]:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        fields = _plain(detail)
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        return "validation_error", "Invalid input.", fields
    if isinstance(detail, dict):
        # simplejwt's token errors carry {"detail": ..., "code": ..., "messages": [...]}.
        return str(detail.get("code") or exc.default_code), str(detail.get("detail", exc.default_detail)), {}
    if isinstance(detail, list):
        return str(exc.default_code), "; ".join(str(item) for item in detail), {}
    code = getattr(detail, "code", None) or exc.default_code
    return str(code), str(detail), {}


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service's database is unavailable; try again shortly, with the same Idempotency-Key."
    default_code = "database_unavailable"


class PayloadTooLarge(exceptions.APIException):
    """A request body over DATA_UPLOAD_MAX_MEMORY_SIZE (the gateway refuses larger ones first)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler that answers every handled error in the one shape."""
    if isinstance(exc, ApplicationError):
        return application_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, IntegrityError):
        # A race a check could not see (two requests claiming one unique value at once): the
        # database refused it and nothing was written. A conflict, not a server error.
        logger.warning("integrity error answered as a conflict", extra={"error": str(exc)[:200]})
        return application_error_response(
            Conflict("The request conflicts with data written at the same moment; nothing was changed. Retry.")
        )
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The database is down or restarting (or the statement lost a deadlock): nothing was
        # committed, so the same request, with the same Idempotency-Key, can simply be sent again.
        logger.warning("database unavailable", extra={"error": str(exc)[:200]})
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    code, message, fields = _describe(exc)
    response.data = error_body(code=code, message=message, fields=fields)
    if isinstance(exc, DatabaseUnavailable):
        response["Retry-After"] = "1"
    return response


def application_error_response(error: ApplicationError) -> Response:
    """The one error shape for a domain error, with its status; a transaction the request opened rolls back."""
    set_rollback()
    body = error_body(code=error.code, message=error.message, fields=error.fields)
    for name, value in error.extra.items():
        body.setdefault(name, value)
    response = Response(body, status=error.status_code)
    if error.retry_after is not None:
        response["Retry-After"] = str(max(0, math.ceil(error.retry_after)))
    return response


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code=code, message=message), status=status_code)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's handler400 in the one shape."""
    return _json_error(400, "bad_request", "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's handler403 in the one shape."""
    return _json_error(403, "permission_denied", "You do not have permission to perform this action.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's handler404 in the one shape."""
    return _json_error(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's handler500 in the one shape; the traceback goes to the log, never to the client."""
    return _json_error(500, "server_error", "Internal server error.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """Django's CSRF failure view in the one shape."""
    return _json_error(
        403, "csrf_failed", f"CSRF verification failed: {reason}" if reason else "CSRF verification failed."
    )
