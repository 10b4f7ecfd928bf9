"""Settings from the environment: the part every service shares, built by `service_settings`.

By concern: `environment` (variables, development or production, secrets), `development_secret`
(the secret keys of development and the tests), `database`, `tokens` (verifying JWTs), `messaging`
(events and email), `web` (cookies, API documents, CORS), `logs`, and `service` (all of it
together). Everything is importable from here, as `servicekit.conf.<name>`.
"""

import environ

from servicekit.conf.database import database_settings, worker_class
from servicekit.conf.development_secret import (
    DEVELOPMENT_SECRET_NAME,
    derived_secret_key,
    development_secret_file,
    development_secret_key,
    read_or_create_secret_file,
)
from servicekit.conf.environment import (
    DEVELOPMENT_ENVIRONMENTS,
    EXAMPLE_SECRET_MARK,
    REPO_ROOT,
    app_env,
    env,
    is_development,
    secret,
)
from servicekit.conf.logs import JSON_LOG_FORMATTER, logging_settings
from servicekit.conf.messaging import email_settings, events_settings
from servicekit.conf.service import service_settings
from servicekit.conf.tokens import jwt_settings
from servicekit.conf.web import CORS_EXPOSE_HEADERS, api_docs_settings, cors_settings, secure_cookies

__all__ = [
    "CORS_EXPOSE_HEADERS",
    "DEVELOPMENT_ENVIRONMENTS",
    "DEVELOPMENT_SECRET_NAME",
    "EXAMPLE_SECRET_MARK",
    "JSON_LOG_FORMATTER",
    "REPO_ROOT",
    "api_docs_settings",
    "app_env",
    "cors_settings",
    "database_settings",
    "derived_secret_key",
    "development_secret_file",
    "development_secret_key",
    "email_settings",
    "env",
    "environ",
    "events_settings",
    "is_development",
    "jwt_settings",
    "logging_settings",
    "read_or_create_secret_file",
    "secret",
    "secure_cookies",
    "service_settings",
    "worker_class",
]
