"""Request ids: read from `X-Request-ID` or generated, kept in a context variable, logged and forwarded."""

from __future__ import annotations

import ipaddress
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# A request id is echoed into logs and headers: accept only short, plain tokens from clients.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    """Return the id of the request being served, or "-" outside a request."""
    return request_id_var.get()


def clean_request_id(value: str | None) -> str:
    """Return the client's request id if it is well-formed, else a new one."""
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIDMiddleware:
    """Bind the request id for the duration of a request and echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


class RequestIDLogFilter(logging.Filter):
    """Add the current request id and the service name to every log record."""

    def __init__(self, service: str = "", name: str = "") -> None:
        super().__init__(name)
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs after the middleware has returned, but hands over the request itself.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        record.service = self.service
        return True


def client_address(request: HttpRequest | None) -> str:
    """The address of the client the gateway served, from its X-Real-IP, else the peer's own address.

    The services are reached only through the gateway (or on the private network), and the gateway
    always sets X-Real-IP to the address it saw, overwriting any the client sent (behind a load
    balancer, nginx's real_ip module makes that the original client's: see docs/gateway.md).
    """
    if request is None:
        return ""
    for candidate in (request.META.get("HTTP_X_REAL_IP", ""), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return ""
