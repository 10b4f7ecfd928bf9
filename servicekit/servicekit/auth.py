"""Stateless RS256 JWT verification for DRF: keys chosen by `kid`, parsed once, the algorithm pinned.

Keys come from public key files (`JWT_PUBLIC_KEY_FILE`, comma-separated for several) or from
auth's JWKS (`JWT_JWKS_URL`), cached; an unknown `kid` refetches at most once per interval.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from servicekit.keys import load_public_key, thumbprint

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("exp", "iat", "jti", "iss", "aud", "token_type")
# RFC 9068: access tokens (a person's, or a service's) say so in their JOSE header, so a resource
# server that checks only `typ`, `iss`, `aud` and the signature still tells them from refresh tokens.
ACCESS_TOKEN_TYP = "at+jwt"
_ACCESS_TYPS = frozenset({ACCESS_TOKEN_TYP, "application/at+jwt"})
ROLES = frozenset({"customer", "staff", "admin"})


class InvalidToken(exceptions.AuthenticationFailed):
    """A bearer token that is malformed, forged, expired or of the wrong kind."""

    default_detail = "Token is invalid or expired."
    default_code = "token_not_valid"


class KeysUnavailable(exceptions.APIException):
    """No verification keys could be loaded, so no token can be judged."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Token verification keys are unavailable; try again later."
    default_code = "keys_unavailable"


class KeySource(Protocol):
    """Where verification keys come from."""

    def key_for(self, kid: str) -> RSAPublicKey | None:
        """Return the public key with this `kid`, or None if it is unknown."""
        ...


class StaticKeys:
    """Keys read once from PEM files; each key's `kid` is its RFC 7638 thumbprint."""

    def __init__(self, paths: list[str]) -> None:
        self.keys: dict[str, RSAPublicKey] = {}
        for path in paths:
            try:
                key = load_public_key(Path(path).read_bytes())
            except (OSError, ValueError) as error:
                raise ImproperlyConfigured(
                    f"JWT_PUBLIC_KEY_FILE {path!r} is not a readable PEM RSA public key"
                ) from error
            self.keys[thumbprint(key)] = key

    def key_for(self, kid: str) -> RSAPublicKey | None:
        return self.keys.get(kid)


COLD_RETRY_SECONDS = 1.0


class JWKSKeys:
    """Keys fetched from a JWKS URL and cached.

    The set is refreshed every `max_age` seconds (so dropped keys stop verifying), and an
    unknown `kid` triggers a refetch only if none happened in the last `min_refetch` seconds,
    so a flood of random `kid`s cannot become a flood of fetches. A failed fetch keeps the
    last good set.
    """

    def __init__(
        self,
        url: str,
        *,
        max_age: float,
        min_refetch: float,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.max_age = max_age
        self.min_refetch = min_refetch
        self.timeout = timeout
        self.clock = clock
        self.keys: dict[str, RSAPublicKey] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.fetches = 0
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> RSAPublicKey | None:
        now = self.clock()
        # Every fetch, for age or for an unknown kid, waits `min_refetch` after the last attempt,
        # so neither a kid storm nor an unreachable auth turns into a fetch per request. With no
        # keys at all (auth was busy or down when this worker started) it tries again within a
        # second: every request fails until it succeeds.
        interval = self.min_refetch if self.keys else min(self.min_refetch, COLD_RETRY_SECONDS)
        may_fetch = self.attempted_at is None or now - self.attempted_at >= interval
        if may_fetch and (self.fetched_at is None or now - self.fetched_at >= self.max_age):
            self._refresh(now)
            may_fetch = False
        key = self.keys.get(kid)
        if key is None and may_fetch:
            self._refresh(now)
            key = self.keys.get(kid)
        if key is None:
            # Another thread's fetch may be bringing it right now (a new worker's first requests
            # arrive together; a rotated key is being picked up): wait for that fetch and look
            # again, rather than answer 503 or 401 for a key that is about to be known.
            if self._lock.locked():
                with self._lock:
                    pass
            key = self.keys.get(kid)
        if key is None and not self.keys:
            raise KeysUnavailable()
        return key

    def warm_up(self, *, attempts: int = 120, interval: float = 0.5) -> bool:
        """Fetch the keys until they arrive or `attempts` run out; return whether they did.

        A new worker does this before its first request (see `warm_up_keys`), so its first
        requests find the keys instead of waiting for a fetch that a busy auth may answer too late.
        """
        for attempt in range(attempts):
            if self.keys:
                return True
            if attempt:
                time.sleep(interval)
            self._refresh(self.clock())
        return bool(self.keys)

    def _refresh(self, now: float) -> None:
        with self._lock:
            # Another thread fetched after this one decided to: its result serves both.
            if self.attempted_at is not None and self.attempted_at >= now:
                return
            self.attempted_at = self.clock()
            self.fetches += 1
            try:
                response = requests.get(self.url, timeout=self.timeout)
                response.raise_for_status()
                self.keys = self._parse(response.json())
                self.fetched_at = self.attempted_at
            except (requests.RequestException, ValueError, TypeError, AttributeError, jwt.PyJWTError) as error:
                logger.warning("JWKS fetch failed; keeping the last keys", extra={"error": type(error).__name__})

    @staticmethod
    def _parse(document: dict[str, Any]) -> dict[str, RSAPublicKey]:
        keys: dict[str, RSAPublicKey] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") != "RSA" or jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
                continue
            key = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
            if isinstance(key, RSAPublicKey):
                # Trust the key's own thumbprint, not the kid the document claims for it.
                keys[thumbprint(key)] = key
        return keys


@dataclass(frozen=True)
class TokenUser:
    """The user a verified access token speaks for; nothing is read from a database."""

    id: uuid.UUID
    email: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(repr=False, compare=False)

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_service: ClassVar[bool] = False

    @property
    def pk(self) -> uuid.UUID:
        return self.id

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {"staff", "admin"})

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def email_verified(self) -> bool:
        """Whether the token says the user proved their address is theirs (the OIDC claim)."""
        return self.claims.get("email_verified") is True

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


@dataclass(frozen=True)
class ServicePrincipal:
    """A service calling as itself with a service token: a client id and its scopes."""

    client_id: str
    scopes: frozenset[str]
    claims: dict[str, Any] = field(repr=False, compare=False)

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_service: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_admin: ClassVar[bool] = False
    roles: ClassVar[frozenset[str]] = frozenset()

    def has_role(self, role: str) -> bool:
        return False

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> ServicePrincipal:
        """Build the principal from verified claims, refusing claims of the wrong shape."""
        client_id, scopes = claims.get("client_id"), claims.get("scopes", [])
        if not isinstance(client_id, str) or not client_id:
            raise InvalidToken("Token has no valid client_id claim.")
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise InvalidToken("Token has no valid scopes claim.")
        return cls(client_id=client_id, scopes=frozenset(scopes), claims=claims)


class VerifiedToken:
    """A token whose signature and claims have been checked, with its principal built once."""

    __slots__ = ("_principal", "claims", "kid")

    def __init__(self, claims: dict[str, Any], kid: str) -> None:
        self.claims = claims
        self.kid = kid
        self._principal: TokenUser | ServicePrincipal | None = None

    @property
    def principal(self) -> TokenUser | ServicePrincipal:
        if self._principal is None:
            if self.claims["token_type"] == "service":
                self._principal = ServicePrincipal.from_claims(self.claims)
            else:
                self._principal = TokenUser.from_claims(self.claims)
        return self._principal


class TokenVerifier:
    """Verify RS256 tokens by `kid`, with issuer, audience, `typ` and required claims checked.

    Access and service tokens are addressed to `audience`; refresh tokens to `refresh_audience`,
    which only auth, the one service that accepts them, is given: everywhere else they fail.

    A client sends the same token with every request for the token's short life, so tokens
    already verified are remembered (bounded LRU, keyed by the whole signed token): a repeat
    costs a dictionary lookup plus the checks that can change with time, redone every time:
    expiry, token type, and that the signing key is still accepted. Refusals are not remembered.
    """

    def __init__(
        self,
        *,
        keys: KeySource,
        issuer: str,
        audience: str,
        leeway: timedelta,
        cache_size: int = 4096,
        refresh_audience: str | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.refresh_audience = refresh_audience
        self.leeway = leeway
        self._leeway_seconds = leeway.total_seconds()
        self._verify_cached = lru_cache(maxsize=cache_size)(self._verify) if cache_size else self._verify

    def verify(self, token: str, *, token_types: tuple[str, ...] = ("access",)) -> VerifiedToken:
        """Return the valid token if its type is one of `token_types`, or raise `InvalidToken`."""
        verified = self._verify_cached(token)
        if verified.claims["exp"] <= time.time() - self._leeway_seconds:
            raise InvalidToken("Token has expired.", code="token_expired")
        if verified.claims["token_type"] not in token_types:
            raise InvalidToken(f"Token is not of type {' or '.join(token_types)}.", code="token_wrong_type")
        if self.keys.key_for(verified.kid) is None:
            raise InvalidToken("Token was signed with a key that is no longer accepted.")
        return verified

    def decode(self, token: str, *, token_type: str = "access") -> dict[str, Any]:
        """Return the claims of a valid token of `token_type`, or raise `InvalidToken`."""
        return self.verify(token, token_types=(token_type,)).claims

    def _verify(self, token: str) -> VerifiedToken:
        """Check header, signature, algorithm, issuer, audience, time claims and required claims."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken() from error
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise InvalidToken()
        key = self.keys.key_for(kid)
        if key is None:
            raise InvalidToken("Token was signed with an unknown key.")
        audiences = [self.audience] + ([self.refresh_audience] if self.refresh_audience else [])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=audiences,
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
        is_refresh = claims["token_type"] == "refresh"
        expected = self.refresh_audience if is_refresh else self.audience
        audience = claims["aud"]
        if audience != expected and not (isinstance(audience, list) and expected in audience):
            raise InvalidToken()  # a refresh token offered as an access token, or the reverse
        if (str(header.get("typ", "")).lower() in _ACCESS_TYPS) == is_refresh:
            raise InvalidToken("Token type and header do not agree.", code="token_wrong_type")
        return VerifiedToken(claims, kid)


def keys_from_settings() -> KeySource:
    """The key source the settings name: JWT_KEY_SOURCE, else JWT_JWKS_URL, else JWT_PUBLIC_KEY_FILE."""
    loader = getattr(settings, "JWT_KEY_SOURCE", "")
    if loader:
        source: KeySource = import_string(loader)()
        return source
    if settings.JWT_JWKS_URL:
        return JWKSKeys(
            settings.JWT_JWKS_URL, max_age=settings.JWT_JWKS_MAX_AGE, min_refetch=settings.JWT_JWKS_MIN_REFETCH
        )
    return StaticKeys([path.strip() for path in settings.JWT_PUBLIC_KEY_FILE.split(",") if path.strip()])


_current_verifier: TokenVerifier | None = None
_verifier_lock = threading.Lock()


@receiver(setting_changed)
def _forget_verifier(*, setting: str, **kwargs: Any) -> None:
    global _current_verifier
    if setting.startswith("JWT_"):
        _current_verifier = None


def get_verifier() -> TokenVerifier:
    """Return this process's verifier, built once from the settings (rebuilt when tests change them)."""
    global _current_verifier
    if _current_verifier is None:
        with _verifier_lock:
            if _current_verifier is None:
                _current_verifier = TokenVerifier(
                    keys=keys_from_settings(),
                    issuer=settings.JWT_ISSUER,
                    audience=settings.JWT_AUDIENCE,
                    leeway=settings.JWT_LEEWAY,
                    cache_size=settings.JWT_VERIFY_CACHE_SIZE,
                    refresh_audience=getattr(settings, "JWT_REFRESH_AUDIENCE", None),
                )
    return _current_verifier


def warm_up_keys() -> threading.Thread | None:
    """Fetch this process's verification keys from auth's JWKS in the background, until they arrive.

    Called as a gunicorn worker starts (servicekit.gunicorn_conf): a worker started, or replaced,
    while auth is busy would otherwise answer its first requests 503 (keys_unavailable) whenever
    its first fetch, made for those requests, timed out.
    """
    keys = get_verifier().keys
    if not isinstance(keys, JWKSKeys):
        return None
    thread = threading.Thread(target=keys.warm_up, name="jwks-warm-up", daemon=True)
    thread.start()
    return thread


class JWTAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <token>` statelessly; by default only user access tokens."""

    keyword = "bearer"
    token_types: tuple[str, ...] = ("access",)

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
        verified = get_verifier().verify(token, token_types=self.token_types)
        return self.principal_for(verified), verified.claims

    def principal_for(self, verified: VerifiedToken) -> Any:
        """Return the request's user; a service that owns users may load its own model instead."""
        return verified.principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ServiceTokenAuthentication(JWTAuthentication):
    """Only service tokens: for endpoints that other services call as themselves."""

    token_types = ("service",)


class UserOrServiceAuthentication(JWTAuthentication):
    """User access tokens or service tokens: for endpoints that allow both."""

    token_types = ("access", "service")


def request_user(request: Request) -> TokenUser:
    """The request's user as a `TokenUser` (for views behind `IsUser`), typed for the caller."""
    user = request.user
    if not isinstance(user, TokenUser):
        raise exceptions.NotAuthenticated()
    return user
