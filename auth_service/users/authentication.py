"""auth_service's own request authentication: servicekit's verifier, then the user's row."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from servicekit.auth import InvalidToken, JWTAuthentication, VerifiedToken
from users.models import User


class UserJWTAuthentication(JWTAuthentication):
    """Verify the access token statelessly, then load the (active) user it names."""

    def principal_for(self, verified: VerifiedToken) -> User:
        try:
            return User.objects.get(id=verified.claims["user_id"], is_active=True)
        except (User.DoesNotExist, ValueError, KeyError) as error:
            raise InvalidToken("User not found or inactive.", code="user_not_found") from error


def request_user(request: Request) -> User:
    """The signed-in user of a request that `UserJWTAuthentication` authenticated (a view behind a permission)."""
    return cast(User, request.user)
