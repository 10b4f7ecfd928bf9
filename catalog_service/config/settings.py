"""catalog_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import env, service_settings

globals().update(service_settings(name="catalog", base_dir=Path(__file__).resolve().parent.parent, apps=["products"]))

# Currencies products may be priced in (ISO 4217) and the highest price, in minor units.
CATALOG_CURRENCIES = env.list("CATALOG_CURRENCIES", default=["EUR", "USD", "GBP"])
CATALOG_MAX_PRICE = env.int("CATALOG_MAX_PRICE", default=100_000_000)
# The most units one product may have in stock, and one order line may reserve.
CATALOG_MAX_STOCK = env.int("CATALOG_MAX_STOCK", default=1_000_000)
CATALOG_MAX_LINE_QUANTITY = env.int("CATALOG_MAX_LINE_QUANTITY", default=1_000)
# Seconds a reservation holds its stock before `expire_reservations` gives it back.
CATALOG_RESERVATION_TTL = env.int("CATALOG_RESERVATION_TTL", default=900)
# Below this many units in stock a product counts as low on stock (reported on the product).
CATALOG_LOW_STOCK = env.int("CATALOG_LOW_STOCK", default=5)
