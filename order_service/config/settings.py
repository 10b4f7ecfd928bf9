"""order_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import env, service_settings

globals().update(service_settings(name="orders", base_dir=Path(__file__).resolve().parent.parent, apps=["orders"]))

# The private addresses of the services an order talks to (with this service's own token).
CATALOG_INTERNAL_URL = env.str("CATALOG_INTERNAL_URL", default="http://127.0.0.1:8003")
PAYMENTS_INTERNAL_URL = env.str("PAYMENTS_INTERNAL_URL", default="http://127.0.0.1:8005")
# Seconds after which a payment attempt still unanswered is settled by asking payment_service.
ORDERS_PAYMENT_TIMEOUT = env.int("ORDERS_PAYMENT_TIMEOUT", default=60)
# Lines one order may have.
ORDERS_MAX_LINES = env.int("ORDERS_MAX_LINES", default=50)

# Events this service consumes: a refund made in payment_service marks the order refunded.
EVENT_HANDLERS = "orders.handlers.HANDLERS"
