"""Give back the stock of reservations that were held too long (once, or every N seconds)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from products.services import reservations_expire


class Command(BaseCommand):
    help = "Expire held reservations older than CATALOG_RESERVATION_TTL and return their stock."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Run again every this many seconds (0: once).")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            expired = reservations_expire()
            if expired or not every:
                self.stdout.write(f"{expired} reservation(s) expired")
            if not every:
                return
            time.sleep(every)
            close_old_connections()  # a long-running loop must not keep a dead or stale connection
