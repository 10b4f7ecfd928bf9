"""Rotate, prune and list the token signing keys (see the README's key rotation procedure)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from users.keyring import keyring


class Command(BaseCommand):
    help = "rotate: new signing key, the old one keeps verifying; prune: drop retired keys; list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate", "prune", "list"])
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            help="prune: seconds since retirement (default: the refresh token lifetime)",
        )

    def handle(self, *args: Any, action: str, older_than: int | None, **options: Any) -> None:
        ring = keyring()
        if action == "rotate":
            kid = ring.rotate()
            self.stdout.write(f"new signing key {kid}; the previous key verifies until pruned")
        elif action == "prune":
            age = timedelta(seconds=older_than) if older_than is not None else settings.JWT_REFRESH_TOKEN_LIFETIME
            dropped = ring.prune(older_than=age)
            self.stdout.write(f"dropped {len(dropped)} retired key(s): {', '.join(dropped) or '-'}")
        else:
            snapshot = ring.snapshot()
            self.stdout.write(f"current {snapshot.kid}")
            for kid in snapshot.retired:
                self.stdout.write(f"retired {kid}")
