"""The dev overlay's Secrets, as the files its secretGenerator reads: random passwords and keys,
the services' URLs made from them by docker-compose.yml's own templates. Existing files are kept."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

from servicekit.keys import PRIVATE_KEY_NAME, write_keypair
from stack.kubernetes import source
from stack.services import SERVICES

DEMO_ADMIN_EMAIL = "admin@example.com"


def _password() -> str:
    return secrets.token_urlsafe(32)


def contents() -> dict[str, dict[str, str]]:
    """Every .env file's variables, with new random secrets."""
    postgres = {name: _password() for name in source.compose()["services"]["postgres"]["environment"]
                if name.endswith("_PASSWORD")}  # fmt: skip
    rabbitmq = {"RABBITMQ_USER": "shop", "RABBITMQ_PASSWORD": _password()}
    files: dict[str, dict[str, str]] = {
        "postgres": postgres,
        "rabbitmq": {
            "RABBITMQ_DEFAULT_USER": rabbitmq["RABBITMQ_USER"],
            "RABBITMQ_DEFAULT_PASS": rabbitmq["RABBITMQ_PASSWORD"],
        },
        "shop-broker": {"BROKER_URL": source.resolve(source.common_environment()["BROKER_URL"], rabbitmq)},
        "shop-email": {"EMAIL_URL": "consolemail://"},
        "shop-service-clients": {service.name: _password() for service in SERVICES if service.scopes},
        "shop-demo-admin": {"DEMO_ADMIN_EMAIL": DEMO_ADMIN_EMAIL, "DEMO_ADMIN_PASSWORD": _password()},
    }
    for service in SERVICES:
        url = source.web_environment(service)["DATABASE_URL"]
        files[service.name] = {"DATABASE_URL": source.resolve(url, postgres), "DJANGO_SECRET_KEY": _password()}
    return files


def write(directory: Path) -> list[Path]:
    """Write the files that are missing; return them."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, values in contents().items():
        path = directory / f"{name}.env"
        if not path.exists():
            path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
            path.chmod(0o600)
            written.append(path)
    key = directory / PRIVATE_KEY_NAME
    if not key.exists():
        with tempfile.TemporaryDirectory() as scratch:
            private_path, _ = write_keypair(Path(scratch))
            shutil.copyfile(private_path, key)
        key.chmod(0o600)
        written.append(key)
    return written
