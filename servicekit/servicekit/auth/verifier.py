"""Stateless RS256 JWT verification: the key chosen by `kid`, the algorithm pinned, verdicts remembered.

`get_verifier()` is this process's verifier, built from the settings (JWT_*), rebuilt when a test
changes them.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from servicekit.auth.errors import InvalidToken
from servicekit.auth.keys import ALGORITHM, JWKSKeys, KeySource, keys_from_settings
from servicekit.auth.principals import ServicePrincipal, TokenUser

REQUIRED_CLAIMS = ("exp", "iat", "jti", "iss", "aud", "token_type")
# RFC 9068: access tokens (a person's, or a service's) say so in their JOSE header, so a resource
# server that checks only `typ`, `iss`, `aud` and the signature still tells them from refresh tokens.
ACCESS_TOKEN_TYP = "at+jwt"
_ACCESS_TYPS = frozenset({ACCESS_TOKEN_TYP, "application/at+jwt"})


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
