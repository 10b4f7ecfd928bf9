"""Services that call others as themselves: registration and the client-credentials grant."""

from __future__ import annotations

import secrets
from functools import cache

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from rest_framework import exceptions

from users.models import ServiceClient
from users.tokens.issuing import service_token_for


@cache
def _unknown_client_hash() -> str:
    """A hash to check against when the client id is unknown, so both failures take the same time."""
    return make_password(secrets.token_urlsafe(32))


class BadClientCredentials(exceptions.AuthenticationFailed):
    default_code = "invalid_client"
    default_detail = "Unknown client or wrong secret."


@transaction.atomic
def service_client_register(
    *, client_id: str, scopes: list[str], audience: str = "", secret: str | None = None
) -> tuple[ServiceClient, str]:
    """Create a client, or give an existing one a new secret and these scopes; return it and the secret.

    Without `secret`, a new random one is drawn (and shown once by the command).
    """
    secret = secret or secrets.token_urlsafe(32)
    client, _ = ServiceClient.objects.update_or_create(
        client_id=client_id,
        defaults={"secret_hash": make_password(secret), "scopes": sorted(set(scopes)), "audience": audience},
    )
    return client, secret


def service_token_issue(*, client_id: str, client_secret: str) -> tuple[str, int, list[str]]:
    """Check client credentials; return a service token, its lifetime and its scopes."""
    client = ServiceClient.objects.filter(client_id=client_id, is_active=True).first()
    if client is None:
        check_password(client_secret, _unknown_client_hash())
        raise BadClientCredentials()
    if not check_password(client_secret, client.secret_hash):
        raise BadClientCredentials()
    token, lifetime = service_token_for(client_id=client.client_id, scopes=client.scopes, audience=client.audience)
    return token, lifetime, client.scopes
