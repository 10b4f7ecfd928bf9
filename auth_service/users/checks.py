"""System checks: auth cannot run without a readable signing key."""

from typing import Any

from django.core.checks import CheckMessage, Error, register

from users.tokens.keyring import keyring


@register()
def signing_key_readable(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        keyring().snapshot()
    except (OSError, ValueError) as error:
        return [
            Error(
                f"JWT_PRIVATE_KEY_FILE cannot be read as an RSA private key: {error}",
                hint="Set JWT_PRIVATE_KEY_FILE; in development run `make keys`.",
                id="users.E001",
            )
        ]
    return []
