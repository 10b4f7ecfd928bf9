"""Stateless RS256 JWT verification for DRF: the public key is parsed once, the algorithm is pinned."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("exp", "iat", "jti", "iss", "aud", "token_type")
ROLES = frozenset({"customer", "staff", "admin"})


class InvalidToken(exceptions.AuthenticationFailed):
    """A bearer token that is malformed, forged, expired or of the wrong kind."""

    default_detail = "Token is invalid or expired."
    default_code = "token_not_valid"


@dataclass(frozen=True)
class TokenUser:
    """The user a verified access token speaks for; nothing is read from a database."""

    id: uuid.UUID
    email: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(repr=False, compare=False)

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    @property
    def pk(self) -> uuid.UUID:
        return self.id

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {"staff", "admin"})

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> TokenUser:
        """Build the user from verified claims, refusing claims of the wrong shape."""
        try:
            user_id = uuid.UUID(str(claims["user_id"]))
        except (KeyError, ValueError) as error:
            raise InvalidToken("Token has no valid user_id claim.") from error
        roles = claims.get("roles", [])
        email = claims.get("email", "")
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise InvalidToken("Token has no valid roles claim.")
        if not isinstance(email, str):
            raise InvalidToken("Token has no valid email claim.")
        return cls(id=user_id, email=email, roles=frozenset(roles) & ROLES, claims=claims)


class TokenVerifier:
    """Verify RS256 tokens against one public key, with issuer, audience and required claims checked."""

    def __init__(self, *, public_key: RSAPublicKey, issuer: str, audience: str, leeway: timedelta) -> None:
        self.public_key = public_key
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    def decode(self, token: str, *, token_type: str = "access") -> dict[str, Any]:  # noqa: S107
        """Return the claims of a valid token of `token_type`, or raise `InvalidToken`."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=self.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("Token has expired.", code="token_expired") from error
        except jwt.PyJWTError as error:
            raise InvalidToken() from error
        if claims["token_type"] != token_type:
            raise InvalidToken(f"Token is not an {token_type} token.", code="token_wrong_type")
        return claims


@lru_cache(maxsize=4)
def _verifier_for(path: str, issuer: str, audience: str, leeway: timedelta) -> TokenVerifier:
    try:
        key = load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(f"JWT_PUBLIC_KEY_FILE {path!r} is not a readable PEM public key") from error
    if not isinstance(key, RSAPublicKey):
        raise ImproperlyConfigured("JWT_PUBLIC_KEY_FILE must hold an RSA public key")
    return TokenVerifier(public_key=key, issuer=issuer, audience=audience, leeway=leeway)


def get_verifier() -> TokenVerifier:
    """Return the verifier for the current settings; the parsed key is cached, not re-read per request."""
    return _verifier_for(settings.JWT_PUBLIC_KEY_FILE, settings.JWT_ISSUER, settings.JWT_AUDIENCE, settings.JWT_LEEWAY)


class JWTAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <access token>` statelessly as a `TokenUser`."""

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[Any, dict[str, Any]] | None:
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        token = token.strip()
        if not token or " " in token:
            raise InvalidToken("Authorization header must be 'Bearer <token>'.", code="bad_authorization_header")
        claims = get_verifier().decode(token)
        return self.user_from_claims(claims), claims

    def user_from_claims(self, claims: dict[str, Any]) -> Any:
        """Return the request's user; a service that owns users may load its own model instead."""
        return TokenUser.from_claims(claims)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
