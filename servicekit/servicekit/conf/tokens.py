"""Token verification: where the keys are, the expected issuer and audience, the leeway."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from servicekit.conf.environment import REPO_ROOT, env, secret


def jwt_settings(*, own_keys: bool = False) -> dict[str, Any]:
    """Return what a verifier needs: where the keys are, the expected issuer and audience, the leeway."""
    jwks_url = env.str("JWT_JWKS_URL", default="")
    public_key = env.str("JWT_PUBLIC_KEY_FILE", default="")
    if not public_key and not jwks_url and not own_keys:
        public_key = secret("JWT_PUBLIC_KEY_FILE", dev_default=str(REPO_ROOT / ".keys" / "jwt_public.pem"))
    return {
        "JWT_PUBLIC_KEY_FILE": public_key,
        "JWT_JWKS_URL": jwks_url,
        # Seconds a fetched JWKS is used before it is fetched again (dropped keys stop verifying).
        "JWT_JWKS_MAX_AGE": env.float("JWT_JWKS_MAX_AGE", default=300.0),
        # Least seconds between fetches caused by tokens with an unknown kid.
        "JWT_JWKS_MIN_REFETCH": env.float("JWT_JWKS_MIN_REFETCH", default=30.0),
        "JWT_ISSUER": env.str("JWT_ISSUER", default="shop-auth"),
        "JWT_AUDIENCE": env.str("JWT_AUDIENCE", default="shop"),
        "JWT_LEEWAY": timedelta(seconds=env.int("JWT_LEEWAY_SECONDS", default=10)),
        # Verified tokens remembered per worker (0 turns the memo off).
        "JWT_VERIFY_CACHE_SIZE": env.int("JWT_VERIFY_CACHE_SIZE", default=4096),
    }
