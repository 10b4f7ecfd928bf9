"""Where verification keys come from: public key files, or auth's JWKS fetched and cached.

Each key is known by its RFC 7638 thumbprint (`kid`). A JWKS is refreshed now and then, and an
unknown `kid` refetches at most once per interval, so a flood of made-up `kid`s is never a flood
of fetches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from servicekit.auth.errors import KeysUnavailable
from servicekit.keys import load_public_key, thumbprint

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"


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
