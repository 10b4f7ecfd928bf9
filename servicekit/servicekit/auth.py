"""Stateless RS256 JWT verification for DRF: the public key is parsed once, the algorithm is pinned."""

from __future__ import annotations

import time
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
from django.core.signals import setting_changed
from django.dispatch import receiver
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


class VerifiedToken:
    """A token whose signature and claims have been checked, with its user built once."""

    __slots__ = ("_user", "claims")

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self._user: TokenUser | None = None

    @property
    def user(self) -> TokenUser:
        if self._user is None:
            self._user = TokenUser.from_claims(self.claims)
        return self._user


class TokenVerifier:
    """Verify RS256 tokens against one public key, with issuer, audience and required claims checked.

    A client sends the same access token with every request for the token's short life, so the
    claims of tokens already verified are remembered (bounded LRU, keyed by the whole signed
    token): a repeat costs a dictionary lookup plus the expiry check, which is redone every time.
    Only successful verifications are remembered; the memo belongs to this key, so a verifier
    built for another key starts empty.
    """

    def __init__(
        self, *, public_key: RSAPublicKey, issuer: str, audience: str, leeway: timedelta, cache_size: int = 4096
    ) -> None:
        self.public_key = public_key
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._leeway_seconds = leeway.total_seconds()
        self._verify_cached = lru_cache(maxsize=cache_size)(self._verify) if cache_size else self._verify

    def verify(self, token: str, *, token_type: str = "access") -> VerifiedToken:  # noqa: S107
        """Return the valid token of `token_type`, or raise `InvalidToken`."""
        verified = self._verify_cached(token)
        if verified.claims["exp"] <= time.time() - self._leeway_seconds:
            raise InvalidToken("Token has expired.", code="token_expired")
        if verified.claims["token_type"] != token_type:
            raise InvalidToken(f"Token is not an {token_type} token.", code="token_wrong_type")
        return verified

    def decode(self, token: str, *, token_type: str = "access") -> dict[str, Any]:  # noqa: S107
        """Return the claims of a valid token of `token_type`, or raise `InvalidToken`."""
        return self.verify(token, token_type=token_type).claims

    def _verify(self, token: str) -> VerifiedToken:
        """Check signature, algorithm, issuer, audience, time claims and required claims."""
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
        if not isinstance(claims["exp"], int | float):
            raise InvalidToken()
        return VerifiedToken(claims)


@lru_cache(maxsize=4)
def _verifier_for(path: str, issuer: str, audience: str, leeway: timedelta, cache_size: int) -> TokenVerifier:
    try:
        key = load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(f"JWT_PUBLIC_KEY_FILE {path!r} is not a readable PEM public key") from error
    if not isinstance(key, RSAPublicKey):
        raise ImproperlyConfigured("JWT_PUBLIC_KEY_FILE must hold an RSA public key")
    return TokenVerifier(public_key=key, issuer=issuer, audience=audience, leeway=leeway, cache_size=cache_size)


_current_verifier: TokenVerifier | None = None


@receiver(setting_changed)
def _forget_verifier(*, setting: str, **kwargs: Any) -> None:
    global _current_verifier
    if setting.startswith("JWT_"):
        _current_verifier = None


def get_verifier() -> TokenVerifier:
    """Return the verifier for the current settings; the parsed key is cached, not re-read per request."""
    global _current_verifier
    if _current_verifier is None:
        _current_verifier = _build_verifier()
    return _current_verifier


def _build_verifier() -> TokenVerifier:
    return _verifier_for(
        settings.JWT_PUBLIC_KEY_FILE,
        settings.JWT_ISSUER,
        settings.JWT_AUDIENCE,
        settings.JWT_LEEWAY,
        settings.JWT_VERIFY_CACHE_SIZE,
    )


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
        verified = get_verifier().verify(token)
        return self.user_for(verified), verified.claims

    def user_for(self, verified: VerifiedToken) -> Any:
        """Return the request's user; a service that owns users may load its own model instead."""
        return verified.user

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
