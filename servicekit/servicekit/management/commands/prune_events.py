"""Delete published outbox rows and old inbox rows (the broker and consumers are done with them)."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from servicekit.models import InboxEvent, OutboxEvent


class Command(BaseCommand):
    help = "Delete outbox events published more than --outbox-days ago and inbox entries older than --inbox-days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--outbox-days", type=int, default=7)
        parser.add_argument(
            "--inbox-days", type=int, default=30, help="Keep longer than any redelivery could take (default 30)."
        )

    def handle(self, *args: Any, outbox_days: int, inbox_days: int, **options: Any) -> None:
        now = timezone.now()
        outbox, _ = OutboxEvent.objects.filter(published_at__lt=now - timedelta(days=outbox_days)).delete()
        inbox, _ = InboxEvent.objects.filter(received_at__lt=now - timedelta(days=inbox_days)).delete()
        self.stdout.write(f"{outbox} published outbox event(s) and {inbox} inbox entr(ies) deleted")
