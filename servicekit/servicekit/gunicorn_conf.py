"""Gunicorn settings from the environment, the same in the native stack and in containers.

Run as ``gunicorn -c python:servicekit.gunicorn_conf`` from a service's directory.

The master loads the service (Django, its apps, the URLconf and every view) before it forks the
workers, so the code is in memory once, shared copy-on-write, instead of once per worker; the
objects it made are frozen out of the garbage collector first (`gc.freeze()`), so that a
worker's collections do not write to, and thereby copy, the pages they sit on. Nothing in the
master opens a database connection, a socket to another service or a thread: Django connects
lazily, per thread, on a worker's first query, and what a worker runs in the background (the
fetch of the token verification keys) starts in `post_worker_init`, in the worker. New code
therefore needs a restart of gunicorn, not a HUP (which forks new workers from the loaded code).
"""

import ctypes
import gc
import multiprocessing
import os
from typing import Any

from gunicorn.glogging import Logger

from servicekit import conf
from servicekit.conf import JSON_LOG_FORMATTER

_worker = conf.worker_class()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "uvicorn_worker.UvicornWorker" if _worker == "uvicorn" else _worker
wsgi_app = "config.asgi:application" if _worker == "uvicorn" else "config.wsgi:application"
# Longer than the gateway's upstream keepalive_timeout, so nginx closes idle connections first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# The gateway bounds requests (a request line and each header within 8 KiB, 32 KiB of headers in
# all); whatever it lets through reaches Django, which answers in the JSON error shape. Gunicorn's
# own defaults (4094 bytes, 100 headers) would answer a long query string or many headers with an
# HTML 414 or 400 instead.
limit_request_line = 8190  # the largest gunicorn takes short of "unlimited"; nginx's buffer is 8192
limit_request_fields = 8192  # 32 KiB of header buffers hold no more than that
limit_request_field_size = 8190
accesslog = None  # The gateway writes the access log, with the request id and upstream time.


class NoAccessLogLogger(Logger):
    """gunicorn's logger without an access log.

    Given a logging config (logconfig_dict below), gunicorn builds every request's access line (its
    atoms and a log record) even with no handler to write it: measured, a tenth of the CPU of a
    small request. The gateway's access log already has every request.
    """

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, *args: Any, **kwargs: Any) -> None:
        return None


logger_class = NoAccessLogLogger
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = os.environ.get("SERVICE_NAME")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": JSON_LOG_FORMATTER},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}
# Several services run side by side on one host: no shared per-user control socket.
control_socket_disable = True
preload_app = True

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value


def on_starting(server: object) -> None:
    """In the master: allocations of 128 KiB or more get memory of their own, returned when freed.

    glibc raises that threshold as large blocks are freed, up to 32 MiB, and from then on serves
    them from heaps it keeps: a password hash's 19 MiB (auth's Argon2id) stayed in every thread's
    heap after the sign-in, 150 MiB of an idle auth. A fixed threshold (inherited by the workers)
    stops that; the cost is an mmap and munmap per large block.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to set
        return
    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def when_ready(server: object) -> None:
    """In the master, once the service is loaded: load its URLconf and views too, for the workers to share."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view, serializer and model the API uses


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each fork: no connection to hand down, and every object made so far frozen."""
    from django.db import connections

    connections.close_all()  # none is open unless something queried at load time; a worker must not share it
    gc.freeze()


def post_worker_init(worker: object) -> None:
    """In each worker, after the fork: fetch the token verification keys, before any request needs them."""
    from servicekit.auth import warm_up_keys

    warm_up_keys()
