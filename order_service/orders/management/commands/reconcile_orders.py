"""Complete or undo orders left half-way by a crash or a time-out (once, or every N seconds)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from orders.services import orders_reconcile


class Command(BaseCommand):
    help = "Settle payment attempts, commit or release stock and cancel expired orders, asking the owning services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Run again every this many seconds (0: once).")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            try:
                counts = orders_reconcile()
            except Exception as error:  # a scheduled job keeps going: the database may be back next time
                self.stderr.write(f"reconciliation failed ({type(error).__name__}); trying again later")
                counts = {}
            if any(counts.values()) or not every:
                self.stdout.write(f"reconciled: {counts}")
            if not every:
                return
            time.sleep(every)
            close_old_connections()
