"""Request bodies a view did not read are read to their end before the response leaves.

A request refused before its body is parsed (401, 403, 404, a 413 past DATA_UPLOAD_MAX_MEMORY_SIZE)
leaves the body on the connection. gunicorn then drains at most 64 KiB of it; past that it closes
the connection, while the gateway may still be sending the body or about to reuse the connection
for another request, and the gateway answers 502 instead of the service's answer. Reading the
rest here keeps the connection usable and the answer the service's own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, UnreadablePostError

# Bodies reach a service through the gateway, which refuses anything over GATEWAY_MAX_BODY_SIZE (1 MiB
# by default). A larger one can only come from elsewhere; it is not read, and gunicorn closes the connection.
MAX_DRAINED = 16 * 1024 * 1024
_CHUNK = 64 * 1024


def drain(request: HttpRequest) -> None:
    """Read and drop whatever the request body still holds, up to MAX_DRAINED bytes in all."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if not 0 < length <= MAX_DRAINED:
        return
    try:
        while request.read(_CHUNK):
            pass
    except (OSError, UnreadablePostError):  # the client went away: nothing left to keep
        return


class DrainRequestBodyMiddleware:
    """Outermost, so it runs after every other middleware and error handler has answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        drain(request)
        return response
