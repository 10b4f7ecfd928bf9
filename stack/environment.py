"""The environment of the native stack: `.env` read under the real one, keys, and each service's variables."""

from __future__ import annotations

import os
from pathlib import Path

import environ

from servicekit import conf
from servicekit.keys import write_keypair
from stack import db
from stack.services import REPO_ROOT, SERVICES, Service

GUNICORN_SETTINGS = ("WORKERS", "THREADS", "WORKER_CLASS", "TIMEOUT", "MAX_REQUESTS")


def load_environment() -> None:
    """Read `.env` (or, without one, the development defaults in `.env.example`) under the real environment."""
    env_file = REPO_ROOT / ".env"
    if not env_file.exists():
        env_file = REPO_ROOT / ".env.example"
    environ.Env.read_env(str(env_file), overwrite=False)
    os.environ.setdefault("APP_ENV", "development")


def ensure_keys() -> None:
    """Create the development key pair unless key files are configured."""
    if "JWT_PRIVATE_KEY_FILE" in os.environ and "JWT_PUBLIC_KEY_FILE" in os.environ:
        return
    private_path, public_path = write_keypair(REPO_ROOT / ".keys")
    os.environ.setdefault("JWT_PRIVATE_KEY_FILE", str(private_path))
    os.environ.setdefault("JWT_PUBLIC_KEY_FILE", str(public_path))


def ensure_development_secret() -> None:
    """Create the random file the services' development secret keys derive from, unless a key is set.

    Each service derives its own Django SECRET_KEY from this file (servicekit.conf), as does any
    `manage.py` run by hand in this checkout; it is made once, here, before the services start side
    by side, and kept (`.keys/`, git-ignored, mode 0600), so sessions survive a restart.
    """
    if os.environ.get("APP_ENV") != "development" or "DJANGO_SECRET_KEY" in os.environ:
        return
    path = conf.development_secret_file()
    if path is not None:
        conf.read_or_create_secret_file(path)


# A password check's 19 MiB (Argon2id) comes from a fresh mapping, handed back when freed (see
# servicekit.gunicorn_conf): with transparent huge pages advised for such mappings, it costs a few
# 2 MiB faults instead of thousands of 4 KiB ones, half the check's system time, where the kernel's
# transparent huge pages are `madvise` (Debian's default; with `never` it changes nothing). auth
# only: the other services make no such blocks. Added to any GLIBC_TUNABLES already set.
AUTH_GLIBC_TUNABLES = "glibc.malloc.hugetlb=1"


def service_environment(
    service: Service, *, ports: dict[str, int], db_suffix: str, static_root: Path
) -> dict[str, str]:
    """The environment of one service's processes; `<NAME>_GUNICORN_*` overrides `GUNICORN_*`."""
    environment = dict(os.environ)
    auth_url = f"http://127.0.0.1:{ports['auth']}"
    environment.update(
        SERVICE_NAME=service.name,
        DATABASE_URL=db.database_url(service, suffix=db_suffix),
        GUNICORN_BIND=f"127.0.0.1:{ports[service.name]}",
        STATIC_ROOT=str(static_root),
        # Every service's private address (AUTH_INTERNAL_URL, BANK_INTERNAL_URL, ...).
        **{f"{other.env_prefix}_INTERNAL_URL": f"http://127.0.0.1:{ports[other.name]}" for other in SERVICES},
        SERVICE_CLIENT_ID=service.name,
        PYTHONUNBUFFERED="1",
    )
    # Stacks side by side on one broker (a developer's, the tests', the benchmark's) keep apart:
    # each has its own exchange and queues, named with its database suffix.
    environment.setdefault("EVENTS_EXCHANGE", f"shop.events{db_suffix}")
    environment.setdefault("EVENTS_QUEUE", f"{service.name}{db_suffix}")
    for setting in GUNICORN_SETTINGS:
        specific = os.environ.get(f"{service.env_prefix}_GUNICORN_{setting}")
        if specific:
            environment[f"GUNICORN_{setting}"] = specific
    if service.name == "auth":
        tunables = environment.get("GLIBC_TUNABLES", "")
        if AUTH_GLIBC_TUNABLES not in tunables.split(":"):
            environment["GLIBC_TUNABLES"] = ":".join(filter(None, [tunables, AUTH_GLIBC_TUNABLES]))
    else:
        # Only the issuer reads the private key; the others follow auth's JWKS, so keys rotate
        # without restarting them.
        environment.pop("JWT_PRIVATE_KEY_FILE", None)
        environment.pop("JWT_PUBLIC_KEY_FILE", None)
        environment.setdefault("JWT_JWKS_URL", f"{auth_url}/auth/.well-known/jwks.json")
    return environment


def pooled_environment(
    environment: dict[str, str], service: Service, *, suffix: str, pooler_port: int
) -> dict[str, str]:
    """`environment` with the database through PgBouncer on `pooler_port`, the database itself as the direct URL."""
    return {
        **environment,
        "DATABASE_URL": db.database_url(service, suffix=suffix, address=("127.0.0.1", str(pooler_port))),
        "DATABASE_DIRECT_URL": environment["DATABASE_URL"],
    }
