"""What the manifests are made of: the service registry, docker-compose.yml and the images' settings.

Nothing here is copied by hand: the services, their background commands and start-up commands,
their environment (names and defaults) and gunicorn's graceful timeout are read from the files
the native stack and the containers already use, so the manifests cannot drift from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from stack.services import REPO_ROOT, SERVICES, Service

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
GUNICORN_CONF = REPO_ROOT / "servicekit" / "servicekit" / "gunicorn_conf.py"
POSTGRES_INIT = REPO_ROOT / "docker" / "postgres" / "init.sh"
_INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")

# Read by docker/entrypoint.py only: the pods set them per container (the migrating init container).
ENTRYPOINT_VARIABLES = frozenset({"MIGRATE", "STARTUP_COMMANDS", "STATIC_VOLUME"})
# Where auth's retired signing keys are mounted (a Secret of their own; compose keeps them beside the key).
RETIRED_KEYS_DIR = "/run/shop-keys-retired"


POOLED_DIRECT = "DATABASE_DIRECT_URL"


@dataclass(frozen=True)
class SecretRef:
    """An environment variable taken from a key of a Secret."""

    secret: str
    key: str
    optional: bool = False


def secret_ref(service: Service, variable: str) -> SecretRef | None:
    """Where a service's variable comes from when it is secret (None: it is plain configuration)."""
    own = f"{service.name}-secrets"
    table = {
        "DATABASE_URL": SecretRef(own, "DATABASE_URL"),
        # Only behind a pooler in transaction mode (PgBouncer): the database itself (docs/scaling.md).
        POOLED_DIRECT: SecretRef(own, POOLED_DIRECT, optional=True),
        "DJANGO_SECRET_KEY": SecretRef(own, "DJANGO_SECRET_KEY"),
        "BROKER_URL": SecretRef("shop-broker", "BROKER_URL"),
        # It may carry the SMTP password (servicekit reads it as a secret).
        "EMAIL_URL": SecretRef("shop-email", "EMAIL_URL"),
        # One secret per service client, read by auth (which registers it) and by the client itself.
        "SERVICE_CLIENT_SECRET": SecretRef("shop-service-clients", service.name),
        **{
            f"{client.env_prefix}_SERVICE_CLIENT_SECRET": SecretRef("shop-service-clients", client.name)
            for client in SERVICES
            if client.scopes
        },
        # Only development seeds the demo admin; elsewhere the Secret need not exist.
        "DEMO_ADMIN_EMAIL": SecretRef("shop-demo-admin", "DEMO_ADMIN_EMAIL", optional=True),
        "DEMO_ADMIN_PASSWORD": SecretRef("shop-demo-admin", "DEMO_ADMIN_PASSWORD", optional=True),
    }
    return table.get(variable)


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def resolve(value: Any, settings: Mapping[str, str]) -> str:
    """A compose value with each ${NAME:-default} replaced by settings[NAME], else its default."""
    return _INTERPOLATION.sub(lambda match: settings.get(match.group(1), match.group(2) or ""), str(value))


def common_environment() -> dict[str, Any]:
    """The environment every service container shares (compose's x-common-env)."""
    return dict(compose()["x-common-env"])


def web_environment(service: Service) -> dict[str, Any]:
    """The environment of a service's web container, as compose gives it."""
    return dict(compose()["services"][service.name]["environment"])


def worker_environment(worker: str) -> dict[str, Any]:
    return dict(compose()["services"][worker]["environment"])


def secret_variables(service: Service) -> list[str]:
    """The service's secret variables, in compose's order; DATABASE_DIRECT_URL after DATABASE_URL.

    Compose runs no pooler, so it sets no DATABASE_DIRECT_URL; a cluster may put one before its
    PostgreSQL, and the services must then be told the database's own address (optional key).
    """
    names = [name for name in web_environment(service) if secret_ref(service, name)]
    if "DATABASE_URL" in names:
        names.insert(names.index("DATABASE_URL") + 1, POOLED_DIRECT)
    return names


def common_config(settings: Mapping[str, str]) -> dict[str, str]:
    """shop-config: the shared settings, without the secrets."""
    any_service = SERVICES[0]
    return {
        name: resolve(value, settings)
        for name, value in common_environment().items()
        if secret_ref(any_service, name) is None
    }


def service_config(service: Service, settings: Mapping[str, str]) -> dict[str, str]:
    """<name>-config: what the service's container sets beyond (or instead of) the shared settings."""
    common = common_environment()
    config = {
        name: resolve(value, settings)
        for name, value in web_environment(service).items()
        if name not in ENTRYPOINT_VARIABLES
        and secret_ref(service, name) is None
        and (name not in common or common[name] != value)
    }
    if "JWT_RETIRED_KEYS_DIR" in config:
        config["JWT_RETIRED_KEYS_DIR"] = RETIRED_KEYS_DIR
    return config


def startup_commands(service: Service) -> str:
    """The manage.py commands the service's container runs once after migrating (";"-separated)."""
    return " ".join(str(web_environment(service).get("STARTUP_COMMANDS", "")).split())


def worker_command(command: tuple[str, ...]) -> list[str]:
    """A background worker's container command: the registry's manage.py command."""
    return ["python", "manage.py", *command]


def holds_private_key(name: str) -> bool:
    """Whether compose gives a container (a service's or a worker's) auth's private key."""
    return "jwt_private_key" in compose()["services"][name].get("secrets", [])


def probe_paths(service: Service) -> tuple[str, str]:
    """Liveness and readiness paths: servicekit's health/ and ready/ under the service's prefix."""
    return f"/{service.name}/health/", f"/{service.name}/ready/"


def gunicorn_graceful_timeout() -> int:
    """gunicorn's default graceful timeout (seconds) in servicekit's gunicorn settings."""
    found = re.search(r'graceful_timeout = int\(os\.environ\.get\("GUNICORN_GRACEFUL_TIMEOUT", "(\d+)"\)\)',
                      GUNICORN_CONF.read_text())  # fmt: skip
    if found is None:
        raise LookupError(f"no graceful_timeout default in {GUNICORN_CONF}")
    return int(found.group(1))


def gateway_environment() -> dict[str, str]:
    """The gateway container's environment in compose, defaults resolved."""
    return {name: resolve(value, {}) for name, value in compose()["services"]["nginx"]["environment"].items()}


def image(service_or_gateway: str) -> str:
    """The image name compose gives a service (shop/auth, ..., shop/gateway for nginx)."""
    return str(compose()["services"][service_or_gateway]["image"])
