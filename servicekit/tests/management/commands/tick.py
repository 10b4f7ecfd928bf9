"""A periodic job of the test service: counts its rounds, fails the rounds it is told to."""

from typing import Any

from servicekit.jobs import PeriodicCommand

ROUNDS: list[int] = []
FAIL_ROUNDS: set[int] = set()


class Command(PeriodicCommand):
    help = "Count a round."

    def run_once(self) -> int:
        ROUNDS.append(len(ROUNDS) + 1)
        if len(ROUNDS) in FAIL_ROUNDS:
            raise ConnectionError("the database is restarting")
        return len(ROUNDS)

    def report(self, result: Any) -> str:
        return f"round {result}"
