"""Logging: one JSON object per line, each with the request id (gunicorn's own lines too)."""

from __future__ import annotations

from typing import Any

from servicekit.conf.environment import env

JSON_LOG_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}


def logging_settings(*, service: str) -> dict[str, Any]:
    """Return a LOGGING dict that writes one JSON object per line, each with the request id."""
    level = env.str("LOG_LEVEL", default="INFO")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "servicekit.requestid.RequestIDLogFilter", "service": service},
        },
        "formatters": {"json": JSON_LOG_FORMATTER},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            # Django's dev-server access lines duplicate the gateway's access log.
            "django.server": {"handlers": [], "propagate": False},
        },
    }
