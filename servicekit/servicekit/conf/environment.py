"""The environment a service runs in: its variables, development or production, and its secrets."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import environ

env = environ.Env()

# The checkout servicekit runs from (servicekit/servicekit/conf/ is three levels below it).
REPO_ROOT = Path(__file__).resolve().parents[3]
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})


def app_env() -> str:
    """Return the deployment environment; anything but development or test is treated as production."""
    return env.str("APP_ENV", default="production")


def is_development() -> bool:
    """Tell whether insecure development defaults may be used."""
    return app_env() in DEVELOPMENT_ENVIRONMENTS


EXAMPLE_SECRET_MARK = "change-me"


def secret(name: str, *, dev_default: str | Callable[[], str]) -> str:
    """Read a secret; outside development a missing one, or one still holding .env.example's
    "change-me" value, stops start-up with a message naming it. A callable `dev_default` is
    called only when the default is used."""
    if is_development():
        if name not in os.environ and callable(dev_default):
            return dev_default()
        return env.str(name, default=dev_default)
    value = env.str(name)
    if EXAMPLE_SECRET_MARK in value:
        raise environ.ImproperlyConfigured(f"{name} still holds the example value from .env.example: set a real secret")
    return value
