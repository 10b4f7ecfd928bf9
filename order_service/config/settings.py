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
# Units one line, and one order in all, may hold: a single order cannot take a product's whole stock.
ORDERS_MAX_LINE_QUANTITY = env.int("ORDERS_MAX_LINE_QUANTITY", default=100)
ORDERS_MAX_ORDER_QUANTITY = env.int("ORDERS_MAX_ORDER_QUANTITY", default=500)
# Pending orders (stock held, not paid yet) one customer may have at once.
ORDERS_MAX_PENDING_PER_CUSTOMER = env.int("ORDERS_MAX_PENDING_PER_CUSTOMER", default=5)
# The most the bank moves in one payment (the bank's own setting): a larger order could never be paid.
BANK_MAX_AMOUNT = env.int("BANK_MAX_AMOUNT", default=100_000_000)

# Events this service consumes: a refund made in payment_service marks the order refunded.
EVENT_HANDLERS = "orders.handlers.HANDLERS"
