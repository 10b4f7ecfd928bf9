"""Token pairs for a user: simplejwt's RS256 tokens carrying the claims every service reads."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.tokens import RefreshToken

from users.models import User


def refresh_token_for(user: User) -> RefreshToken:
    """Return a refresh token whose access tokens carry the user's email and roles."""
    token = RefreshToken.for_user(user)
    token["email"] = user.email
    token["roles"] = sorted(user.roles)
    return token


def token_pair_for(user: User) -> dict[str, Any]:
    """Return `{"access": ..., "refresh": ...}` for the user."""
    refresh = refresh_token_for(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
