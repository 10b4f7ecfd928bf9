"""Writes on people: registration, the profile a user edits, and the access an admin grants."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from servicekit.events import publish_event
from users.models import Role, User
from users.people.addresses import validated_new_email
from users.people.codes import Purpose
from users.people.mail import send_code
from users.tokens.refresh import token_revoke

DUPLICATE_EMAIL = "A user with this email already exists."


def validated_password(password: str, *, user: User, field: str = "password") -> None:
    """Refuse a password the validators refuse, naming `field` in the error."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


@transaction.atomic
def user_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create an active customer and email a code to verify the address; the password must pass the validators."""
    try:
        email = validated_new_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}, code="invalid") from error
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique")
    validated_password(password, user=User(email=email, full_name=full_name))
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
            publish_event(
                "user.registered",
                {"user_id": str(user.id), "email": user.email, "full_name": user.full_name},
                aggregate=f"user:{user.id}",
            )
    except IntegrityError as error:
        # Two registrations raced past the check above; the unique constraint decided.
        raise ValidationError({"email": [DUPLICATE_EMAIL]}, code="unique") from error
    send_code(user, Purpose.VERIFY_EMAIL)
    return user


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None) -> User:
    """Change the fields a user may edit on their own profile."""
    if full_name is not None:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "updated_at"])
    return user


@transaction.atomic
def user_set_access(
    *,
    user: User,
    actor: User,
    roles: list[str] | None = None,
    is_active: bool | None = None,
    email_verified: bool | None = None,
) -> User:
    """An admin grants or removes roles, (de)activates a user, or marks their address verified or not."""
    if user.pk == actor.pk and (is_active is False or (roles is not None and Role.ADMIN not in roles)):
        raise ValidationError({"roles": ["You cannot remove your own admin access."]})
    fields = ["updated_at"]
    if roles is not None:
        user.roles = sorted(set(roles))
        fields.append("roles")
    if is_active is not None:
        user.is_active = is_active
        fields.append("is_active")
    if email_verified is not None:
        user.email_verified = email_verified
        fields.append("email_verified")
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)
    if is_active is False:
        token_revoke(user=user, everything=True)
    return user
