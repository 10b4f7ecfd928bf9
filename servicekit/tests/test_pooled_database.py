"""Behind a transaction pooler (PgBouncer): the settings it needs, and what connects to the database itself."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.db import connection

from servicekit import conf
from servicekit.conf.database import DIRECT, pooled
from servicekit.events import Relay
from servicekit.idempotency import _INSERT, _TAKE_OVER, _sessions
from servicekit.postgresql.base import DatabaseWrapper

POOLER = "postgres://bank:secret@127.0.0.1:6432/bank_x"
DIRECT_URL = "postgres://bank:secret@127.0.0.1:5432/bank_x"


def test_without_a_direct_url_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", DIRECT_URL)
    monkeypatch.delenv("DATABASE_DIRECT_URL", raising=False)
    database = conf.database_settings(name="kit")
    assert not pooled(database)
    assert "DISABLE_SERVER_SIDE_CURSORS" not in database and "prepare_threshold" not in database["OPTIONS"]


def test_a_direct_url_means_a_pooler_no_cursor_or_prepared_statement_outlives_a_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", POOLER)
    monkeypatch.setenv("DATABASE_DIRECT_URL", DIRECT_URL)
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")
    database = conf.database_settings(name="kit")
    assert pooled(database)
    assert database["PORT"] == 6432 and database[DIRECT]["PORT"] == 5432
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "prepare_threshold" in database["OPTIONS"] and database["OPTIONS"]["prepare_threshold"] is None
    assert database["CONN_MAX_AGE"] > 0  # persistent connections to the pooler stay


def test_idempotency_claims_name_no_session_behind_a_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "pg_backend_pid()" in _sessions(_INSERT) and "pg_backend_pid()" in _sessions(_TAKE_OVER)
    monkeypatch.setitem(
        connection.settings_dict, DIRECT, {"NAME": "x", "USER": "", "PASSWORD": "", "HOST": "", "PORT": ""}
    )
    assert "pg_backend_pid()" not in _sessions(_INSERT) + _sessions(_TAKE_OVER)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def pooled_wrapper() -> Iterator[DatabaseWrapper]:
    """Django's connection as behind a pooler that is away (nothing listens), the database itself as DIRECT."""
    settings = connection.settings_dict
    direct = {key: settings[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    wrapper = DatabaseWrapper({**settings, "HOST": "127.0.0.1", "PORT": str(_closed_port()), DIRECT: direct}, "default")
    yield wrapper
    wrapper.close()


@pytest.mark.django_db(transaction=True)
def test_the_relays_listening_session_goes_to_the_database_itself(
    pooled_wrapper: DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("servicekit.events.relay.connection", pooled_wrapper)
    relay = Relay()
    try:
        listener = relay._ensure_listener()  # the pooler is away: this works only straight to the database
        relay._set_asleep(True)
        [(listening,)] = listener.execute(
            "SELECT count(*) FROM servicekit_outbox_listener WHERE pid = pg_backend_pid()"
        ).fetchall()
        assert listening == 1
        relay._set_asleep(False)
    finally:
        relay.close()
