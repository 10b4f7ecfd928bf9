"""Jobs run by a management command once, or every N seconds as a long-running worker (`--every`)."""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class PeriodicCommand(BaseCommand):
    """A command that runs `run_once()` once, or again every `--every` seconds until stopped.

    In the loop, a failing round is reported and the next one tried (the database or a service
    may be back by then), and the database connection is renewed between rounds. The loop is
    `run_every`, which `manage.py run_workers` also runs in a thread beside the relay and the
    consumer (`reconcile_orders:30`).
    """

    def run_once(self) -> Any:
        """Do one round; return what to report (a count, or a dict of counts)."""
        raise NotImplementedError

    def report(self, result: Any) -> str:
        return f"done: {result}"

    @property
    def job_name(self) -> str:
        """The command's name (its module's), which names its lines in a process that runs several jobs."""
        return type(self).__module__.rpartition(".")[2]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Run again every this many seconds (0: once).")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        if every:
            # Alone in its process: SIGTERM ends it as before, SIGINT (Ctrl-C) raises KeyboardInterrupt.
            self.run_every(every, threading.Event())
            return
        self.stdout.write(self.report(self.run_once()))

    def run_every(self, every: float, stop: threading.Event) -> None:
        """Run a round every `every` seconds until `stop` is set (a round under way is finished first)."""
        while not stop.is_set():
            try:
                result = self.run_once()
            except Exception as error:
                self.stderr.write(
                    f"{self.job_name}: this round failed ({type(error).__name__}); trying again in {every:g} s"
                )
            else:
                if any(result.values()) if isinstance(result, dict) else bool(result):
                    self.stdout.write(self.report(result))
            if stop.wait(every):
                return
            close_old_connections()  # a long-running loop must not keep a dead or stale connection
