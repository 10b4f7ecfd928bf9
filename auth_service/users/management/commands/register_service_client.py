"""Register a service client (or give it a new secret) and print the secret once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from users.service_clients import service_client_register


class Command(BaseCommand):
    help = "Create or update a service client with its scopes; prints client_id and a new secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("--scope", action="append", default=[], dest="scopes", help="repeat for several")
        parser.add_argument("--audience", default="", help="default: the platform audience (JWT_AUDIENCE)")

    def handle(self, *args: Any, client_id: str, scopes: list[str], audience: str, **options: Any) -> None:
        client, secret = service_client_register(client_id=client_id, scopes=scopes, audience=audience)
        self.stdout.write(f"client_id={client.client_id}")
        self.stdout.write(f"client_secret={secret}")
        self.stdout.write(f"scopes={' '.join(client.scopes)}")
