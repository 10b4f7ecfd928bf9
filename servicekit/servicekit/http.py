"""The outgoing HTTP client: timeouts always, the request id and the caller's token forwarded."""

from __future__ import annotations

import threading
from typing import Any

import requests
from rest_framework import status

from servicekit.errors import ApplicationError
from servicekit.requestid import HEADER as REQUEST_ID_HEADER
from servicekit.requestid import current_request_id

DEFAULT_TIMEOUT = (2.0, 5.0)  # (connect, read) seconds: a hung peer must not hang the caller.


class ServiceUnavailable(ApplicationError):
    """A service this one depends on did not answer in time or at all."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "A service this request depends on is unavailable; try again later."


_local = threading.local()


def _session() -> requests.Session:
    # One pooled session per thread: requests sessions are not documented as thread-safe.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


class ServiceClient:
    """Call another service at `base_url`, forwarding the request id and, if given, a bearer token."""

    def __init__(self, base_url: str, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        bearer: str | None = None,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request; a connection failure or time-out becomes `ServiceUnavailable`."""
        sent = {REQUEST_ID_HEADER: current_request_id(), **(headers or {})}
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        if idempotency_key:
            sent["Idempotency-Key"] = idempotency_key
        try:
            return _session().request(
                method, f"{self.base_url}/{path.lstrip('/')}", headers=sent, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            raise ServiceUnavailable() from error
