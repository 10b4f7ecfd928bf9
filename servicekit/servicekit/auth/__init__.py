"""Stateless RS256 JWT verification for DRF: keys chosen by `kid`, parsed once, the algorithm pinned.

Keys come from public key files (`JWT_PUBLIC_KEY_FILE`, comma-separated for several) or from
auth's JWKS (`JWT_JWKS_URL`), cached; an unknown `kid` refetches at most once per interval.

One concept a module: `keys` (where keys come from), `principals` (who a token speaks for),
`verifier` (checking a token, this process's verifier), `drf` (request authentication), `errors`.
Everything is importable from here, as `servicekit.auth.<Name>` (settings name
`servicekit.auth.JWTAuthentication`).
"""

from servicekit.auth.drf import (
    JWTAuthentication,
    ServiceTokenAuthentication,
    UserOrServiceAuthentication,
    request_user,
)
from servicekit.auth.errors import InvalidToken, KeysUnavailable
from servicekit.auth.keys import (
    ALGORITHM,
    COLD_RETRY_SECONDS,
    JWKSKeys,
    KeySource,
    StaticKeys,
    keys_from_settings,
)
from servicekit.auth.principals import ROLES, ServicePrincipal, TokenUser
from servicekit.auth.verifier import (
    ACCESS_TOKEN_TYP,
    REQUIRED_CLAIMS,
    TokenVerifier,
    VerifiedToken,
    get_verifier,
    warm_up_keys,
)

__all__ = [
    "ACCESS_TOKEN_TYP",
    "ALGORITHM",
    "COLD_RETRY_SECONDS",
    "REQUIRED_CLAIMS",
    "ROLES",
    "InvalidToken",
    "JWKSKeys",
    "JWTAuthentication",
    "KeySource",
    "KeysUnavailable",
    "ServicePrincipal",
    "ServiceTokenAuthentication",
    "StaticKeys",
    "TokenUser",
    "TokenVerifier",
    "UserOrServiceAuthentication",
    "VerifiedToken",
    "get_verifier",
    "keys_from_settings",
    "request_user",
    "warm_up_keys",
]
