"""Settle payments left pending by a crash or a time-out (once, or every N seconds)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from payments.services import payments_reconcile


class Command(BaseCommand):
    help = "Settle payments pending longer than PAYMENTS_PENDING_TIMEOUT by sending the same charge again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Run again every this many seconds (0: once).")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            try:
                counts = payments_reconcile()
            except Exception as error:  # a scheduled job keeps going: the database may be back next time
                self.stderr.write(f"reconciliation failed ({type(error).__name__}); trying again later")
                counts = {}
            if any(counts.values()) or not every:
                self.stdout.write(f"reconciled: {counts}")
            if not every:
                return
            time.sleep(every)
            close_old_connections()
