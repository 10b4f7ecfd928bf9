"""Django's PostgreSQL backend, its persistent connections checked without a round trip.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection once per request before its
first query, so that a connection the server closed meanwhile (PostgreSQL restarted, the backend
terminated) is replaced instead of failing the request. Django's check is a `SELECT 1`: a round
trip to the database on every request. Here the check asks the kernel instead: a connection at
rest has nothing to read, while one the server has closed has its goodbye (an error message, the
end of the stream) waiting on the socket, or is already known broken by the driver. One `poll()`
with no wait, no query. Either way the connection is closed and the request's first query opens
a new one, exactly as after a failed `SELECT 1`.

A socket with something else to read (nothing the shop's sessions ask for: no LISTEN) is treated
as closed too, which costs one reconnect, never a wrong answer. Neither check can see a peer that
vanished without a word (a cut cable): the query then fails, Django drops the connection at the
end of the request (`errors_occurred`), and servicekit answers 503.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base


def at_rest(connection: Any) -> bool:
    """Whether a driver connection between requests is open and quiet: nothing from the server waiting on it."""
    if connection.closed or getattr(connection, "broken", False):
        return False
    try:
        descriptor = connection.fileno()
    except Exception:  # the driver no longer has a socket: as good as closed
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLPRI)  # errors and hang-ups are always reported
    return not poller.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    """The PostgreSQL backend; its per-request health check polls the socket instead of sending `SELECT 1`."""

    # Django's attributes the stubs do not declare.
    pool: Any
    health_check_enabled: bool
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        if self.connection is None or self.pool or not self.health_check_enabled or self.health_check_done:
            return
        if not at_rest(self.connection):
            self.close()
        self.health_check_done = True
