"""Settle payments and refunds left pending by a crash or a time-out (once, or every N seconds)."""

from typing import Any

from payments.services import payments_reconcile
from servicekit.jobs import PeriodicCommand


class Command(PeriodicCommand):
    help = "Send stale pending charges and unanswered refunds to the bank again, under the same keys."

    def run_once(self) -> dict[str, int]:
        return payments_reconcile()

    def report(self, result: Any) -> str:
        return f"reconciled: {result}"
