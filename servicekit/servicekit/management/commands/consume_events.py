"""Consume this service's queue with the handlers named by EVENT_HANDLERS, until stopped."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from servicekit.events import Consumer, run_until_signalled


class Command(BaseCommand):
    help = "Handle events from this service's queue (inbox, retries, dead letters) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--declare", action="store_true", help="Only declare the exchange and queues (so events wait), then exit."
        )

    def handle(self, *args: Any, declare: bool, **options: Any) -> None:
        if not settings.EVENT_HANDLERS:
            raise CommandError("This service consumes no events (EVENT_HANDLERS is empty).")
        consumer = Consumer(import_string(settings.EVENT_HANDLERS))
        if declare:
            consumer.declare()
            self.stdout.write(
                f"declared queue {consumer.topology.queue} for {', '.join(consumer.topology.event_types)}"
            )
            return
        run_until_signalled(consumer.run)
