"""Send again the notification emails that failed or never went out."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.services import resend_emails


class Command(BaseCommand):
    help = "Retry every notification email that failed or is still pending."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=float, default=60, help="Seconds a pending email must have waited (default 60)."
        )

    def handle(self, *args: Any, older_than: float, **options: Any) -> None:
        self.stdout.write(f"{resend_emails(older_than=timedelta(seconds=older_than))} email(s) sent")
