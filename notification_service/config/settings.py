"""notification_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import email_settings, env, service_settings

globals().update(
    service_settings(name="notifications", base_dir=Path(__file__).resolve().parent.parent, apps=["notifications"])
)

# The events this service consumes, and what it does with each.
EVENT_HANDLERS = "notifications.handlers.HANDLERS"

# Email: EMAIL_URL picks the transport (see servicekit.conf.email_settings).
globals().update(email_settings())
# The frontend's address, for links in emails.
SHOP_URL = env.str("SHOP_URL", default="http://localhost:8080")
