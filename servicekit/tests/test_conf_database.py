"""The database backend's per-request health check: a poll of the socket instead of a `SELECT 1`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from servicekit import conf
from servicekit.postgresql.base import DatabaseWrapper, at_rest
from servicekit.waiting import poll_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_services_get_the_backend_with_health_checks_on_persistent_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")
    database = conf.database_settings(name="kit")
    assert database["ENGINE"] == "servicekit.postgresql"
    assert database["CONN_HEALTH_CHECKS"] is True and database["CONN_MAX_AGE"] > 0


@pytest.fixture
def wrapper() -> Iterator[DatabaseWrapper]:
    """A connection of the backend to the test database, as a request thread holds one between requests."""
    opened = DatabaseWrapper({**connection.settings_dict, "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 300}, "default")
    opened.ensure_connection()
    yield opened
    opened.close()


def _next_request(wrapper: DatabaseWrapper) -> None:
    """What Django does as a request starts: keep the connection, check it again before its first query."""
    wrapper.close_if_unusable_or_obsolete()
    assert wrapper.connection is not None and wrapper.health_check_done is False


def _backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_healthy_connection_is_kept_without_a_round_trip(
    wrapper: DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(wrapper)

    def no_select_1() -> bool:
        raise AssertionError("the check sent a query")

    monkeypatch.setattr(wrapper, "is_usable", no_select_1)
    for _ in range(3):
        _next_request(wrapper)
        assert _backend_pid(wrapper) == first
        assert wrapper.health_check_done is True


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(wrapper: DatabaseWrapper) -> None:
    before = _backend_pid(wrapper)
    _next_request(wrapper)
    with connection.cursor() as cursor:  # as a PostgreSQL restart does to every connection
        cursor.execute("SELECT pg_terminate_backend(%s)", [before])
    poll_until(lambda: not at_rest(wrapper.connection), timeout=10, interval=0.01, message="the server's goodbye")
    after = _backend_pid(wrapper)  # no error: the first query of the request got a new connection
    assert after != before


def test_a_closed_driver_connection_is_not_at_rest(wrapper: DatabaseWrapper) -> None:
    assert at_rest(wrapper.connection)
    raw = wrapper.connection
    raw.close()
    assert not at_rest(raw)
