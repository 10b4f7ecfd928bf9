"""Messages that leave the service: events through the broker, email through the mail transport."""

from __future__ import annotations

from typing import Any

from servicekit.conf.environment import env, secret


def events_settings(*, name: str) -> dict[str, Any]:
    """Return where events go: the broker, the topic exchange, this service's queue, the retry policy."""
    return {
        "EVENTS_BROKER_URL": secret("BROKER_URL", dev_default="amqp://guest:guest@127.0.0.1:5672//"),
        "EVENTS_EXCHANGE": env.str("EVENTS_EXCHANGE", default="shop.events"),
        # The queue this service consumes from (only consumers use it).
        "EVENTS_QUEUE": env.str("EVENTS_QUEUE", default=name),
        # Deliveries of a failing event before it is dead-lettered, and the waits between them (seconds).
        "EVENTS_MAX_ATTEMPTS": env.int("EVENTS_MAX_ATTEMPTS", default=5),
        "EVENTS_RETRY_DELAYS": [float(d) for d in env.list("EVENTS_RETRY_DELAYS", default=["1", "5", "30", "120"])],
        "EVENTS_CONNECT_TIMEOUT": env.float("EVENTS_CONNECT_TIMEOUT", default=3.0),
        # Dotted path to this service's {event type: handler} mapping, for `consume_events`.
        "EVENT_HANDLERS": env.str("EVENT_HANDLERS", default=""),
    }


def email_settings() -> dict[str, Any]:
    """Django's email settings from EMAIL_URL, for every service that sends email (the same transport).

    smtp+tls://user:password@smtp.example.com:587 in production, the console in development, or
    files (filemail:// with EMAIL_FILE_PATH=/a/directory).
    """
    settings: dict[str, Any] = env.email_url_config(secret("EMAIL_URL", dev_default="consolemail://"))
    settings["EMAIL_FILE_PATH"] = env.str("EMAIL_FILE_PATH", default="") or settings.get("EMAIL_FILE_PATH", "")
    settings["EMAIL_TIMEOUT"] = env.int("EMAIL_TIMEOUT", default=10)
    settings["DEFAULT_FROM_EMAIL"] = env.str("DEFAULT_FROM_EMAIL", default="Shop <no-reply@shop.example>")
    return settings
