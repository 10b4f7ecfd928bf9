"""Send again the notification emails that failed or never went out."""

from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import resend_emails


class Command(BaseCommand):
    help = "Retry every notification email that failed or is still pending."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{resend_emails()} email(s) sent")
