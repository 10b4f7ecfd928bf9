"""payment_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import env, service_settings

globals().update(service_settings(name="payments", base_dir=Path(__file__).resolve().parent.parent, apps=["payments"]))

# The bank's private address (its internal API, called with this service's token).
BANK_INTERNAL_URL = env.str("BANK_INTERNAL_URL", default="http://127.0.0.1:8002")
# Seconds after which the reconciler settles a payment still pending (asking the bank what happened).
PAYMENTS_PENDING_TIMEOUT = env.int("PAYMENTS_PENDING_TIMEOUT", default=60)
# Seconds a charge or refund keeps asking the bank again while the bank is still working on the
# same key (the same call sent at once by two requests), before answering 503.
PAYMENTS_BANK_BUSY_WAIT = env.float("PAYMENTS_BANK_BUSY_WAIT", default=3.0)
