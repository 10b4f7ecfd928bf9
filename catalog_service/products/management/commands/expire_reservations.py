"""Give back the stock of reservations that were held too long (once, or every N seconds)."""

from typing import Any

from products.services import reservations_expire
from servicekit.jobs import PeriodicCommand


class Command(PeriodicCommand):
    help = "Expire held reservations older than CATALOG_RESERVATION_TTL and return their stock."

    def run_once(self) -> int:
        return reservations_expire()

    def report(self, result: Any) -> str:
        return f"{result} reservation(s) expired"
