"""The outgoing HTTP client: timeouts always, the request id and the caller's token forwarded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from typing import Any, NoReturn

import requests
from django.core.exceptions import ImproperlyConfigured
from rest_framework import status

from servicekit.errors import ApplicationError
from servicekit.requestid import HEADER as REQUEST_ID_HEADER
from servicekit.requestid import current_request_id

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (2.0, 5.0)  # (connect, read) seconds: a hung peer must not hang the caller.


class ServiceUnavailable(ApplicationError):
    """A service this one depends on did not answer in time or at all."""

    status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "A service this request depends on is unavailable; try again later."


class ServiceTimeout(ServiceUnavailable):
    """A service this one depends on took too long to answer; what it did meanwhile is unknown."""

    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_code = "service_timeout"
    default_detail = "A service this request depends on did not answer in time; retry with the same Idempotency-Key."


class Refused(ApplicationError):
    """Another service refused the request for a reason the caller's client can fix: passed on as it came."""

    def __init__(self, status_code: int, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message, code, fields=fields)
        self.status_code = status_code


# A callee's 409 with this code: it is still working on the same Idempotency-Key. Not a refusal.
STILL_WORKING = "idempotency_in_progress"


def json_body(response: requests.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when it carries none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def read_answer(response: requests.Response, *, refusals: Collection[int] = (400, 409)) -> dict[str, Any]:
    """The body of another service's 2xx answer; its refusal (a status in `refusals`) as `Refused`.

    Anything else (a 5xx, an unexpected 4xx such as a refused service token, a key the callee is
    still working on) is `ServiceUnavailable`: the caller has no answer yet and may try again.
    """
    body = json_body(response)
    if 200 <= response.status_code < 300:
        return body
    if response.status_code in refusals and body.get("code") != STILL_WORKING:
        return _raise_refused(response.status_code, body)
    raise ServiceUnavailable(f"A service answered {response.status_code}.")


def _raise_refused(status_code: int, body: dict[str, Any]) -> NoReturn:
    fields = body.get("fields")
    raise Refused(
        status_code,
        str(body.get("code") or "refused"),
        str(body.get("message") or "The request was refused."),
        fields if isinstance(fields, dict) else None,
    )


def _configured_timeout() -> tuple[float, float]:
    """(connect, read) seconds from SERVICE_CONNECT_TIMEOUT and SERVICE_READ_TIMEOUT."""
    from django.conf import settings

    return (
        float(getattr(settings, "SERVICE_CONNECT_TIMEOUT", DEFAULT_TIMEOUT[0])),
        float(getattr(settings, "SERVICE_READ_TIMEOUT", DEFAULT_TIMEOUT[1])),
    )


_local = threading.local()


def _session() -> requests.Session:
    # One pooled session per thread: requests sessions are not documented as thread-safe.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        # Calls between services go where the settings say, never through a proxy from the
        # environment or with credentials from ~/.netrc; and requests then skips reading both on
        # every call (a scan of os.environ and a file lookup each time).
        session.trust_env = False
    return session


class ServiceClient:
    """Call another service at `base_url`, forwarding the request id and, if given, a bearer token."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] | None = None,
        tokens: ServiceTokenProvider | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout or _configured_timeout()
        self.tokens = tokens

    def request(
        self,
        method: str,
        path: str,
        *,
        bearer: str | None = None,
        as_service: bool = False,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, with the caller's `bearer` token or, `as_service`, this service's own token.

        A connection failure becomes `ServiceUnavailable` (503: nothing was sent), a read time-out
        `ServiceTimeout` (504: the callee may have acted); a service token the callee refuses
        (401) is renewed and the request sent once more.
        """
        sent = {REQUEST_ID_HEADER: current_request_id(), **(headers or {})}
        if idempotency_key:
            sent["Idempotency-Key"] = idempotency_key
        tokens = self.tokens or (service_token_provider() if as_service else None)
        for attempt in (1, 2):
            if as_service and tokens is not None:
                sent["Authorization"] = f"Bearer {tokens.token()}"
            elif bearer:
                sent["Authorization"] = f"Bearer {bearer}"
            started = time.perf_counter()
            outcome: int | str = "failed"
            try:
                response = _session().request(
                    method, f"{self.base_url}/{path.lstrip('/')}", headers=sent, timeout=self.timeout, **kwargs
                )
                outcome = response.status_code
            except requests.ReadTimeout as error:
                outcome = "timeout"
                raise ServiceTimeout() from error
            except requests.RequestException as error:
                raise ServiceUnavailable() from error
            finally:
                # One line per call to another service, with the request id: the time of each hop.
                logger.info(
                    "service call",
                    extra={
                        "call": f"{method} {path.split('?')[0]}",
                        "status": outcome,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            if response.status_code == 401 and as_service and tokens is not None and attempt == 1:
                tokens.invalidate()
                continue
            return response
        return response


class ServiceTokenProvider:
    """Obtain this service's own token from auth by client credentials, cache it, renew it before expiry."""

    def __init__(self, *, token_url: str, client_id: str, client_secret: str, renew_before: float = 30.0) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.renew_before = renew_before
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        """Return a valid service token, fetching a new one only when the cached one is about to expire."""
        token, expires_at = self._token, self._expires_at
        if token is not None and time.monotonic() < expires_at - self.renew_before:
            return token
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at - self.renew_before:
                self._token, self._expires_at = self._fetch()
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (for example after a 401), so the next call fetches a new one."""
        with self._lock:
            self._token, self._expires_at = None, 0.0

    def _fetch(self) -> tuple[str, float]:
        try:
            response = _session().post(
                self.token_url,
                json={"client_id": self.client_id, "client_secret": self.client_secret},
                headers={REQUEST_ID_HEADER: current_request_id()},
                timeout=DEFAULT_TIMEOUT,
            )
        except requests.RequestException as error:
            raise ServiceUnavailable() from error
        if response.status_code != 200:
            raise ServiceUnavailable(f"auth refused this service's credentials ({response.status_code}).")
        body = response.json()
        return str(body["access_token"]), time.monotonic() + float(body["expires_in"])


def service_token_provider() -> ServiceTokenProvider:
    """This process's provider, from AUTH_INTERNAL_URL, SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET."""
    global _provider
    if _provider is None:
        from django.conf import settings

        if not (settings.SERVICE_CLIENT_ID and settings.SERVICE_CLIENT_SECRET):
            raise ImproperlyConfigured("Set SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET to call services as this one")
        _provider = ServiceTokenProvider(
            token_url=f"{settings.AUTH_INTERNAL_URL.rstrip('/')}/auth/internal/service-token/",
            client_id=settings.SERVICE_CLIENT_ID,
            client_secret=settings.SERVICE_CLIENT_SECRET,
        )
    return _provider


_provider: ServiceTokenProvider | None = None
