"""auth_service's own request authentication: servicekit's verifier, then the user's row."""

from __future__ import annotations

from typing import Any

from servicekit.auth import InvalidToken, JWTAuthentication
from users.models import User


class UserJWTAuthentication(JWTAuthentication):
    """Verify the access token statelessly, then load the (active) user it names."""

    def user_from_claims(self, claims: dict[str, Any]) -> User:
        try:
            return User.objects.get(id=claims["user_id"], is_active=True)
        except (User.DoesNotExist, ValueError, KeyError) as error:
            raise InvalidToken("User not found or inactive.", code="user_not_found") from error
