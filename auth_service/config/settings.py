"""auth_service settings: the shared part from servicekit, then what only the token issuer needs."""

from datetime import timedelta
from pathlib import Path

from servicekit.conf import REPO_ROOT, email_settings, env, secret, service_settings

shared = service_settings(
    name="auth",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=["users"],
    auth_user_model="users.User",
    own_keys=True,
)
globals().update(shared)

# The current signing key; retired public keys that still verify live beside it in retired/.
JWT_PRIVATE_KEY_FILE = secret("JWT_PRIVATE_KEY_FILE", dev_default=str(REPO_ROOT / ".keys" / "jwt_private.pem"))
JWT_RETIRED_KEYS_DIR = env.str("JWT_RETIRED_KEYS_DIR", default=str(Path(JWT_PRIVATE_KEY_FILE).parent / "retired"))
JWT_KEYS_RELOAD_SECONDS = env.float("JWT_KEYS_RELOAD_SECONDS", default=5.0)
# auth verifies with its own key files, never over HTTP.
JWT_KEY_SOURCE = "users.tokens.keyring.keyring"
JWT_ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=5))
JWT_REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7))
JWT_SERVICE_TOKEN_LIFETIME = timedelta(minutes=env.int("JWT_SERVICE_TOKEN_MINUTES", default=10))
# Refresh tokens are addressed to auth itself (the only service that accepts them), not to the
# platform audience every service accepts access tokens for.
JWT_REFRESH_AUDIENCE = env.str("JWT_REFRESH_AUDIENCE", default=shared["JWT_ISSUER"])

# Wrong passwords (or reset codes) for one email from one client address before that address is
# locked out of it, and for how long; past the same count from all addresses together, checks of
# that email are spaced out, the pause doubling up to LOGIN_SLOWDOWN_MAX_SECONDS (users.signin.lockout).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT = timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=900))
LOGIN_SLOWDOWN_MAX = timedelta(seconds=env.int("LOGIN_SLOWDOWN_MAX_SECONDS", default=60))

# The gateway's address as clients see it, for the absolute URLs OpenID discovery must give; with
# the default, "/", they are built from the client's own Host header (never from this service's).
GATEWAY_PUBLIC_URL = env.str("GATEWAY_PUBLIC_URL", default="/")

# Codes by email (address verification, password reset) go through the shop's mail transport.
globals().update(email_settings())
# Sent in the background, after the response: a reset takes as long whether or not the address
# exists (the tests turn it off to read the outbox).
AUTH_EMAIL_IN_BACKGROUND = True
# One code email per user and purpose per this many seconds.
CODE_RESEND_SECONDS = env.int("CODE_RESEND_SECONDS", default=60)

# Every password sign-in, the API's and the admin's, counts failures per email.
AUTHENTICATION_BACKENDS = ["users.signin.backends.LockoutModelBackend"]

# Argon2id at OWASP's parameters (users/signin/hashers.py); older hashes are upgraded at sign-in.
PASSWORD_HASHERS = [
    "users.signin.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# auth owns the users, so its own views load the user row behind a verified token.
REST_FRAMEWORK = {
    **shared["REST_FRAMEWORK"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.UserJWTAuthentication"],
}

# simplejwt builds the tokens (claims, exp, iat, jti); users.tokens.issuing signs them with the key ring.
SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "AUDIENCE": shared["JWT_AUDIENCE"],
    "ISSUER": shared["JWT_ISSUER"],
    "LEEWAY": shared["JWT_LEEWAY"],
    "ACCESS_TOKEN_LIFETIME": JWT_ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": JWT_REFRESH_TOKEN_LIFETIME,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": True,
}
