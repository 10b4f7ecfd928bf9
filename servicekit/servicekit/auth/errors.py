"""What token verification refuses with: a bad token (401), or no keys to judge it by (503)."""

from __future__ import annotations

from rest_framework import exceptions, status


class InvalidToken(exceptions.AuthenticationFailed):
    """A bearer token that is malformed, forged, expired or of the wrong kind."""

    default_detail = "Token is invalid or expired."
    default_code = "token_not_valid"


class KeysUnavailable(exceptions.APIException):
    """No verification keys could be loaded, so no token can be judged."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Token verification keys are unavailable; try again later."
    default_code = "keys_unavailable"
