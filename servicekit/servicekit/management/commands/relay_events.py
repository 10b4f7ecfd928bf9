"""Publish this service's outbox to the broker until stopped (SIGTERM or Ctrl-C)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from servicekit.events import Relay, run_until_signalled


class Command(BaseCommand):
    help = "Publish pending outbox events to the events exchange, with publisher confirms, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=200, help="Events taken per transaction.")
        parser.add_argument("--once", action="store_true", help="Publish what is pending now, then exit.")

    def handle(self, *args: Any, batch: int, once: bool, **options: Any) -> None:
        relay = Relay(batch=batch)
        if once:
            total = 0
            while sent := relay.run_once():
                total += sent
            relay.close()
            self.stdout.write(f"{total} event(s) published")
            return
        run_until_signalled(relay.run)
