"""auth_service settings: the shared part from servicekit, then what only the token issuer needs."""

from datetime import timedelta
from pathlib import Path

from servicekit.conf import REPO_ROOT, env, read_key_file, secret, service_settings

shared = service_settings(
    name="auth",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=["users"],
    auth_user_model="users.User",
)
globals().update(shared)

JWT_PRIVATE_KEY_FILE = secret("JWT_PRIVATE_KEY_FILE", dev_default=str(REPO_ROOT / ".keys" / "jwt_private.pem"))

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
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

SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": read_key_file("JWT_PRIVATE_KEY_FILE", JWT_PRIVATE_KEY_FILE),
    "VERIFYING_KEY": read_key_file("JWT_PUBLIC_KEY_FILE", shared["JWT_PUBLIC_KEY_FILE"]),
    "AUDIENCE": shared["JWT_AUDIENCE"],
    "ISSUER": shared["JWT_ISSUER"],
    "LEEWAY": shared["JWT_LEEWAY"],
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7)),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": True,
    "TOKEN_OBTAIN_SERIALIZER": "users.serializers.TokenObtainPairSerializer",
}
