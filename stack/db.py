"""One PostgreSQL database and one login role per service; a role may connect to its own database only."""

from __future__ import annotations

import os
from typing import Any

import psycopg
from psycopg import sql

from stack.services import Service

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ROLES_LOCK = 0x73686F70  # the advisory lock the stacks' set-up takes ("shop"); released with the session


def admin_url() -> str:
    """The superuser connection used only to create roles and databases (`POSTGRES_ADMIN_URL`)."""
    return os.environ.get("POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)


def role_password(service: Service) -> str:
    """The role's password: `<NAME>_DATABASE_PASSWORD`, or the role name in development."""
    return os.environ.get(f"{service.env_prefix}_DATABASE_PASSWORD", service.name)


def server_address() -> tuple[str, str]:
    """PostgreSQL's host and port, from the admin URL."""
    info = psycopg.conninfo.conninfo_to_dict(admin_url())
    return str(info.get("host", "127.0.0.1")), str(info.get("port", "5432"))


def database_url(service: Service, *, suffix: str = "", address: tuple[str, str] | None = None) -> str:
    """The service's own DATABASE_URL, at the admin URL's host and port (or `address`: a pooler's)."""
    host, port = address or server_address()
    return f"postgres://{service.name}:{role_password(service)}@{host}:{port}/{service.name}{suffix}"


def ensure_databases(services: tuple[Service, ...], *, suffix: str = "", fresh: bool = False) -> None:
    """Create each service's role and database if missing; `fresh` drops the databases first.

    Roles get CREATEDB here so that each service's test suite can create its own test database.
    Stacks started side by side share the roles: an advisory lock makes them take turns, as two
    `ALTER ROLE`s of one role at once fail ("tuple concurrently updated").
    """
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", [ROLES_LOCK])
        for service in services:
            role, database = sql.Identifier(service.name), sql.Identifier(service.name + suffix)
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [service.name]).fetchone()
            verb = sql.SQL("ALTER") if exists else sql.SQL("CREATE")
            connection.execute(
                sql.SQL("{} ROLE {} LOGIN CREATEDB PASSWORD {}").format(verb, role, sql.Literal(role_password(service)))
            )
            if fresh:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [service.name + suffix]
            ).fetchone()
            if not found:
                connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
            connection.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
            connection.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(database, role))


def connect(name: str, *, suffix: str, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A connection to one service's database of the stack with this suffix, as that service's role."""
    from stack.services import SERVICES

    service = next(candidate for candidate in SERVICES if candidate.name == name)
    return psycopg.connect(database_url(service, suffix=suffix), autocommit=autocommit)


def rows(name: str, suffix: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Every row a query returns from one service's database of the stack."""
    with connect(name, suffix=suffix) as connection:
        return list(connection.execute(query, params or None).fetchall())
