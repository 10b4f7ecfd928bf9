"""Who a verified token speaks for: a user (`TokenUser`) or a service calling as itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from servicekit.auth.errors import InvalidToken

ROLES = frozenset({"customer", "staff", "admin"})


@dataclass(frozen=True)
class TokenUser:
    """The user a verified access token speaks for; nothing is read from a database."""

    id: uuid.UUID
    email: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(repr=False, compare=False)

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_service: ClassVar[bool] = False

    @property
    def pk(self) -> uuid.UUID:
        return self.id

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {"staff", "admin"})

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def email_verified(self) -> bool:
        """Whether the token says the user proved their address is theirs (the OIDC claim)."""
        return self.claims.get("email_verified") is True

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> TokenUser:
        """Build the user from verified claims, refusing claims of the wrong shape."""
        try:
            user_id = uuid.UUID(str(claims["user_id"]))
        except (KeyError, ValueError) as error:
            raise InvalidToken("Token has no valid user_id claim.") from error
        roles = claims.get("roles", [])
        email = claims.get("email", "")
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise InvalidToken("Token has no valid roles claim.")
        if not isinstance(email, str):
            raise InvalidToken("Token has no valid email claim.")
        return cls(id=user_id, email=email, roles=frozenset(roles) & ROLES, claims=claims)


@dataclass(frozen=True)
class ServicePrincipal:
    """A service calling as itself with a service token: a client id and its scopes."""

    client_id: str
    scopes: frozenset[str]
    claims: dict[str, Any] = field(repr=False, compare=False)

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_service: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_admin: ClassVar[bool] = False
    roles: ClassVar[frozenset[str]] = frozenset()

    def has_role(self, role: str) -> bool:
        return False

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> ServicePrincipal:
        """Build the principal from verified claims, refusing claims of the wrong shape."""
        client_id, scopes = claims.get("client_id"), claims.get("scopes", [])
        if not isinstance(client_id, str) or not client_id:
            raise InvalidToken("Token has no valid client_id claim.")
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise InvalidToken("Token has no valid scopes claim.")
        return cls(client_id=client_id, scopes=frozenset(scopes), claims=claims)
