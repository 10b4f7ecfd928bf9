"""order_service settings: everything shared comes from servicekit."""

from pathlib import Path

from servicekit.conf import service_settings

globals().update(service_settings(name="orders", base_dir=Path(__file__).resolve().parent.parent, apps=["orders"]))
