"""Jobs run by a management command once, or every N seconds as a long-running worker (`--every`)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class PeriodicCommand(BaseCommand):
    """A command that runs `run_once()` once, or again every `--every` seconds until stopped.

    In the loop, a failing round is reported and the next one tried (the database or a service
    may be back by then), and the database connection is renewed between rounds.
    """

    def run_once(self) -> Any:
        """Do one round; return what to report (a count, or a dict of counts)."""
        raise NotImplementedError

    def report(self, result: Any) -> str:
        return f"done: {result}"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Run again every this many seconds (0: once).")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            try:
                result = self.run_once()
            except Exception as error:
                if not every:
                    raise
                self.stderr.write(f"this round failed ({type(error).__name__}); trying again in {every:g} s")
                result = None
            worth_saying = any(result.values()) if isinstance(result, dict) else bool(result)
            if worth_saying or not every:
                self.stdout.write(self.report(result))
            if not every:
                return
            time.sleep(every)
            close_old_connections()  # a long-running loop must not keep a dead or stale connection
