"""The user: email login, UUID id, roles that every service reads from the token."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from users.addresses import normalize_email

__all__ = [
    "LoginFailure",
    "OneTimeCode",
    "RefreshTokenRecord",
    "Role",
    "ServiceClient",
    "SignInThrottle",
    "User",
    "normalize_email",
]


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    ADMIN = "admin", "Admin"


def default_roles() -> list[str]:
    return [Role.CUSTOMER]


class UserManager(BaseUserManager["User"]):
    """Create users by email; lookups by email ignore case."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.pop("is_staff", None)
        fields.setdefault("roles", [Role.CUSTOMER, Role.STAFF, Role.ADMIN])
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email and a password."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    # The user proved the address is theirs (a code sent to it), or staff said so.
    email_verified = models.BooleanField(default=False)
    roles = ArrayField(models.CharField(max_length=16, choices=Role.choices), default=default_roles)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["date_joined"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(roles__contained_by=[role.value for role in Role]),
                name="users_user_roles_known",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    is_service = False

    @property
    def is_staff(self) -> bool:
        """Django admin access follows the staff and admin roles."""
        return Role.STAFF in self.roles or Role.ADMIN in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles


class RefreshTokenRecord(models.Model):
    """A refresh token auth issued: revoking it (once, atomically) is what makes rotation safe."""

    jti = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.CharField(max_length=64, blank=True)
    # Every refresh token rotated from one sign-in shares its family: a rotated token presented
    # again (a thief's copy, or the owner's after the thief used it) revokes the whole family.
    family = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="users_refresh_user_revoked")]

    def __str__(self) -> str:
        return f"{self.jti} ({self.user_id})"


class ServiceClient(models.Model):
    """A service allowed to obtain service tokens by client credentials; the secret is stored hashed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.SlugField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256)
    scopes = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    audience = models.CharField(max_length=64, blank=True, help_text="Empty: the platform audience.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.client_id


class LoginFailure(models.Model):
    """Sign-in state for one email from one client address: the failure streak, checks in flight, any lock.

    `failures` counts completed wrong passwords in the current streak (the last at `last_failed_at`).
    `in_flight` counts password checks admitted and not yet finished, `in_flight_at` is when it was
    last raised; the backend reads it as 0 once that is older than its expiry, so a worker that died
    mid-check does not hold a place for ever. Locking per address means that guessing from one place
    locks that place only: the owner signing in from elsewhere is slowed down (see SignInThrottle),
    never locked out.
    """

    email = models.CharField(max_length=254)
    address = models.CharField(max_length=45, help_text="The client address the gateway saw.")
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    in_flight = models.PositiveIntegerField(default=0)
    in_flight_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]
        constraints = [models.UniqueConstraint(fields=["email", "address"], name="users_loginfailure_email_address")]

    def __str__(self) -> str:
        return f"{self.email} from {self.address}: {self.failures}"


class SignInThrottle(models.Model):
    """Failed password checks for one email from every address: past the limit, checks are spaced out.

    Below LOGIN_FAILURE_LIMIT failures nothing is slowed. Past it, one check is admitted at a time
    and the next only after a pause that doubles with every further failure (up to
    LOGIN_SLOWDOWN_MAX_SECONDS): guessing from many addresses stays bounded, and the owner gets in
    after at most that pause. A success ends the streak.
    """

    email = models.CharField(max_length=254, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(default=timezone.now)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]

    def __str__(self) -> str:
        return f"{self.email}: {self.failures}"


class OneTimeCode(models.Model):
    """A six-digit code sent to a user's address: to verify it, or to reset the password.

    Only a keyed hash of the code is stored. A code expires, allows a few wrong tries, works once,
    and a new code of the same purpose replaces the old one.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email", "Verify the email address"
        RESET_PASSWORD = "reset_password", "Reset the password"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    failed_tries = models.PositiveIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "purpose"], name="users_onetimecode_one_per_purpose")]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.user_id}"
