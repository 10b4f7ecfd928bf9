"""The database: persistent connections under WSGI, psycopg's pool under ASGI workers.

The engine is Django's PostgreSQL backend with a cheaper health check (`servicekit.postgresql`):
a persistent connection is still checked before each request's first query, by polling its
socket rather than by a `SELECT 1` round trip.
"""

from __future__ import annotations

from typing import Any

import environ

from servicekit.conf.environment import env, secret


def worker_class() -> str:
    """Return the gunicorn worker class chosen by `GUNICORN_WORKER_CLASS` (gthread, sync or uvicorn)."""
    value = env.str("GUNICORN_WORKER_CLASS", default="gthread")
    if value not in {"gthread", "sync", "uvicorn"}:
        raise environ.ImproperlyConfigured(f"GUNICORN_WORKER_CLASS must be gthread, sync or uvicorn, not {value!r}")
    return value


def database_settings(*, name: str) -> dict[str, Any]:
    """Return the default database: persistent connections under WSGI, psycopg's pool under ASGI."""
    url = secret("DATABASE_URL", dev_default=f"postgres://{name}:{name}@127.0.0.1:5432/{name}")
    database = env.db_url_config(url)
    database["ENGINE"] = "servicekit.postgresql"
    database["ATOMIC_REQUESTS"] = False
    if env.bool("DATABASE_POOL", default=worker_class() == "uvicorn"):
        database["CONN_MAX_AGE"] = 0
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=8),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
        # A connection PostgreSQL closed (a restart) is replaced before the request uses it.
        database["CONN_HEALTH_CHECKS"] = True
    database.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    return database
