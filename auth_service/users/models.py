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


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    ADMIN = "admin", "Admin"


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively: store them trimmed and lower-cased."""
    return email.strip().lower()


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
    """Sign-in state for one email (existing or not): the failure streak, checks in flight, any lock.

    `failures` counts completed wrong passwords in the current streak (the last at `last_failed_at`).
    `in_flight` counts password checks admitted and not yet finished, `in_flight_at` is when it was
    last raised; the backend reads it as 0 once that is older than its expiry, so a worker that died
    mid-check does not hold a place for ever.
    """

    email = models.CharField(max_length=254, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    in_flight = models.PositiveIntegerField(default=0)
    in_flight_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]

    def __str__(self) -> str:
        return f"{self.email}: {self.failures}"
