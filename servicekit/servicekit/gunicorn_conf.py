"""Gunicorn settings from the environment, the same in the native stack and in containers.

Run as ``gunicorn -c python:servicekit.gunicorn_conf`` from a service's directory.
"""

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


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded the service: fetch the token verification keys, before any request needs them."""
    from servicekit.auth import warm_up_keys

    warm_up_keys()
