"""bank_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import env, service_settings

globals().update(service_settings(name="bank", base_dir=Path(__file__).resolve().parent.parent, apps=["ledger"]))

# Currencies accounts may hold (ISO 4217), and the largest amount one request may move, in minor units.
BANK_CURRENCIES = env.list("BANK_CURRENCIES", default=["EUR", "USD", "GBP"])
BANK_MAX_AMOUNT = env.int("BANK_MAX_AMOUNT", default=100_000_000)
