"""Register a service client (or give it a new secret) and print the secret once."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from users.clients.services import service_client_register


class Command(BaseCommand):
    help = "Create or update a service client with its scopes; prints client_id and a new secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("--scope", action="append", default=[], dest="scopes", help="repeat for several")
        parser.add_argument("--audience", default="", help="default: the platform audience (JWT_AUDIENCE)")
        parser.add_argument(
            "--secret-from-env",
            default="",
            metavar="VARIABLE",
            help="take the secret from this environment variable (containers), instead of drawing and printing one",
        )

    def handle(
        self, *args: Any, client_id: str, scopes: list[str], audience: str, secret_from_env: str, **options: Any
    ) -> None:
        given = None
        if secret_from_env:
            given = os.environ.get(secret_from_env, "")
            if len(given) < 24:
                raise CommandError(f"{secret_from_env} must hold a secret of at least 24 characters")
        client, secret = service_client_register(client_id=client_id, scopes=scopes, audience=audience, secret=given)
        self.stdout.write(f"client_id={client.client_id}")
        if not given:
            self.stdout.write(f"client_secret={secret}")
        self.stdout.write(f"scopes={' '.join(client.scopes)}")
