"""People: the user (email sign-in, UUID id, roles every service reads from the token) and their one-time codes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from servicekit.models import UUIDModel
from users.people.addresses import normalize_email


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


class User(UUIDModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email and a password."""

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


class OneTimeCode(UUIDModel):
    """A six-digit code sent to a user's address: to verify it, or to reset the password.

    Only a keyed hash of the code is stored. A code expires, allows a few wrong tries, works once,
    and a new code of the same purpose replaces the old one.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email", "Verify the email address"
        RESET_PASSWORD = "reset_password", "Reset the password"

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
