"""Rotate, prune and list the token signing keys (see docs/identity.md, Rotating the signing key without downtime)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from users.tokens.keyring import keyring
from users.tokens.rotation import prune_retired_keys, rotate_signing_key


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
        if action == "rotate":
            kid = rotate_signing_key()
            self.stdout.write(f"new signing key {kid}; the previous key verifies until pruned")
        elif action == "prune":
            age = timedelta(seconds=older_than) if older_than is not None else settings.JWT_REFRESH_TOKEN_LIFETIME
            dropped = prune_retired_keys(older_than=age)
            self.stdout.write(f"dropped {len(dropped)} retired key(s): {', '.join(dropped) or '-'}")
        else:
            snapshot = keyring().snapshot()
            self.stdout.write(f"current {snapshot.kid}")
            for kid in snapshot.retired:
                self.stdout.write(f"retired {kid}")
