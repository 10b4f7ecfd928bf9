"""Writes on users."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from users.models import User, normalize_email

DUPLICATE_EMAIL = "A user with this email already exists."


@transaction.atomic
def user_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create an active customer; the password must pass the configured validators."""
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique")
    try:
        validate_password(password, user=User(email=email, full_name=full_name))
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError as error:
        # Two registrations raced past the check above; the unique constraint decided.
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique") from error


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None) -> User:
    """Change the fields a user may edit on their own profile."""
    if full_name is not None:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "updated_at"])
    return user
