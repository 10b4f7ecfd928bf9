"""Delete idempotency keys older than IDEMPOTENCY_KEY_TTL (24 hours by default)."""

from typing import Any

from django.core.management.base import BaseCommand

from servicekit.idempotency import prune_idempotency_keys


class Command(BaseCommand):
    help = "Delete idempotency keys older than IDEMPOTENCY_KEY_TTL."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"deleted {prune_idempotency_keys()} idempotency key(s)")
