"""The database: persistent connections under WSGI, psycopg's pool under ASGI workers.

The engine is Django's PostgreSQL backend with a cheaper health check (`servicekit.postgresql`):
a persistent connection is still checked before each request's first query, by polling its
socket rather than by a `SELECT 1` round trip.

Behind a transaction pooler (PgBouncer's `pool_mode = transaction`), `DATABASE_URL` names the
pooler and `DATABASE_DIRECT_URL` the database itself. A pooled connection lends a server session
for one transaction at a time, so nothing may outlive a transaction: no server-side cursors (Django
keeps them open across its chunked reads), no prepared statements (psycopg prepares a statement
run often, on whichever session it ran). What needs a session of its own connects directly: the
relay's LISTEN (`direct_connection_params`) and migrations (the native stack migrates with the
direct URL). Persistent connections stay: to the pooler they are cheap, and it decides how many
server sessions there are.
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
    direct = env.str("DATABASE_DIRECT_URL", default="")
    if direct:
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database["OPTIONS"]["prepare_threshold"] = None
        database[DIRECT] = {key: env.db_url_config(direct)[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    return database


DIRECT = "DIRECT"  # the settings key of the database itself, when DATABASE_URL is a transaction pooler


def pooled(settings_dict: dict[str, Any]) -> bool:
    """Whether this database's connections go through a transaction pooler (a session lasts one transaction)."""
    return bool(settings_dict.get(DIRECT))


def direct_connection_params(connection: Any) -> dict[str, Any]:
    """psycopg's connect() arguments for a session of its own on `connection`'s database, never through a pooler.

    For what must outlive a transaction, as a LISTEN does: Django's connection parameters, with
    the database itself in place of the pooler when `DATABASE_DIRECT_URL` is set.
    """
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    direct = connection.settings_dict.get(DIRECT)
    if direct:
        params.update(
            dbname=direct["NAME"], user=direct["USER"], password=direct["PASSWORD"], host=direct["HOST"],
            port=direct["PORT"] or None,
        )  # fmt: skip
        params = {key: value for key, value in params.items() if value not in (None, "")}
    return params
