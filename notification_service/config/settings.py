"""notification_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import env, secret, service_settings

globals().update(
    service_settings(name="notifications", base_dir=Path(__file__).resolve().parent.parent, apps=["notifications"])
)

# The events this service consumes, and what it does with each.
EVENT_HANDLERS = "notifications.handlers.HANDLERS"

# Email: EMAIL_URL picks the backend: smtp+tls://user:password@smtp.example.com:587 in production,
# the console in development, or files (filemail:// with EMAIL_FILE_PATH=/a/directory).
globals().update(env.email_url_config(secret("EMAIL_URL", dev_default="consolemail://")))
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="") or globals()["EMAIL_FILE_PATH"]
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Shop <no-reply@shop.example>")
# The frontend's address, for links in emails.
SHOP_URL = env.str("SHOP_URL", default="http://localhost:8080")
