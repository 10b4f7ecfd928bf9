"""Delete records of expired refresh tokens and one-time codes, and stale failed-login counters."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from users.people.codes import prune_codes
from users.signin.lockout import prune_login_failures
from users.tokens.refresh import prune_refresh_tokens


class Command(BaseCommand):
    help = "Delete expired refresh token records and one-time codes, and old failed-login counters (safe any time)."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        tokens = prune_refresh_tokens(before=now)
        failures = prune_login_failures(before=now - settings.LOGIN_LOCKOUT)
        codes = prune_codes(before=now)
        self.stdout.write(
            f"deleted {tokens} expired refresh token(s), {failures} failed-login counter(s), {codes} one-time code(s)"
        )
