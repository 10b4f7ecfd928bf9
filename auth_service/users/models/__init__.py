"""auth's tables, one module per context; all of them the `users` app's models, importable from here."""

from users.models.clients import ServiceClient
from users.models.people import OneTimeCode, Role, User, UserManager, default_roles
from users.models.signin import LoginFailure, SignInThrottle
from users.models.tokens import RefreshTokenRecord
from users.people.addresses import normalize_email

__all__ = [
    "LoginFailure",
    "OneTimeCode",
    "RefreshTokenRecord",
    "Role",
    "ServiceClient",
    "SignInThrottle",
    "User",
    "UserManager",
    "default_roles",
    "normalize_email",
]
