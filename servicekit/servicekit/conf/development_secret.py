"""Each service's Django secret key in development and in the tests, when DJANGO_SECRET_KEY is not set."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

import environ

from servicekit.conf.environment import REPO_ROOT, app_env, env

DEVELOPMENT_SECRET_NAME = "development_secret"


def development_secret_file() -> Path | None:
    """The random file the development secret keys are derived from: `DEVELOPMENT_SECRET_FILE`, else
    `.keys/development_secret` in the checkout (git-ignored); None when servicekit is not run from
    a checkout (installed from its wheel, as in the images) and the variable is not set."""
    configured = env.str("DEVELOPMENT_SECRET_FILE", default="")
    if configured:
        return Path(configured)
    if not (REPO_ROOT / "servicekit" / "pyproject.toml").is_file():
        return None
    return REPO_ROOT / ".keys" / DEVELOPMENT_SECRET_NAME


def read_or_create_secret_file(path: Path) -> bytes:
    """The secret held by `path`, created first (32 random bytes, hex, mode 0600) if it is missing.

    Processes starting side by side agree: the new secret is written to a file of its own and
    linked into place only if no other process got there first, so every reader sees the one
    complete secret."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink()
    value = path.read_bytes().strip()
    if len(value) < 32:
        raise environ.ImproperlyConfigured(f"{path} holds no usable secret: delete it to have a new one made")
    return value


def derived_secret_key(master: bytes, name: str) -> str:
    """Service `name`'s Django secret key derived from `master`: each service's differs."""
    return hmac.new(master, f"django-secret-key:{name}".encode(), hashlib.sha256).hexdigest()


_PROCESS_SECRET = secrets.token_hex(32)


def development_secret_key(name: str) -> str:
    """Service `name`'s Django secret key when DJANGO_SECRET_KEY is not set (development and test).

    The test suites get a fixed key. In development it is derived from the checkout's random
    development secret file, created on first use: a secret of this checkout alone, distinct per
    service, the same for every process (the stack, a `manage.py` run by hand) and across restarts.
    Outside a checkout, with no DEVELOPMENT_SECRET_FILE, a process makes up its own: nothing it
    signs outlives it (set DJANGO_SECRET_KEY for anything that must).
    """
    if app_env() == "test":
        return f"test-only-{name}-secret-key"
    path = development_secret_file()
    if path is None:
        return derived_secret_key(_PROCESS_SECRET.encode(), name)
    return derived_secret_key(read_or_create_secret_file(path), name)
