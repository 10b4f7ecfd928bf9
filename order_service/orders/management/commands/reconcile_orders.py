"""Complete or undo orders left half-way by a crash or a time-out (once, or every N seconds)."""

from typing import Any

from orders.services import orders_reconcile
from servicekit.jobs import PeriodicCommand


class Command(PeriodicCommand):
    help = (
        "Settle payment attempts, finish refunds left without an answer, commit or release stock and cancel "
        "expired orders, asking the owning services."
    )

    def run_once(self) -> dict[str, int]:
        return orders_reconcile()

    def report(self, result: Any) -> str:
        return f"reconciled: {result}"
