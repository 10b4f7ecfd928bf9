"""Input and output shapes of the people API: registration, the profile, passwords, codes, user administration."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from users.models import Role, User
from users.tokens.serializers import TokenPairSerializer


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "email_verified", "full_name", "roles", "is_active", "date_joined"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer[Any]):
    # Checked, and normalised, by users.people.addresses (stricter than a pattern: no look-alikes).
    email = serializers.CharField(max_length=254, help_text="An email address; it is stored lower-cased.")
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class RegisterOutputSerializer(TokenPairSerializer):
    user = UserOutputSerializer()


class MeUpdateInputSerializer(serializers.Serializer[Any]):
    full_name = serializers.CharField(max_length=150, allow_blank=True, required=False)


class PasswordChangeInputSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class UserAccessInputSerializer(serializers.Serializer[Any]):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, max_length=3, required=False
    )
    is_active = serializers.BooleanField(required=False)
    email_verified = serializers.BooleanField(required=False, help_text="Mark the address verified (or not).")


class EmailVerifyInputSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="The six digits emailed to you.")


class EmailVerifyOutputSerializer(serializers.Serializer[Any]):
    user = UserOutputSerializer()
    access = serializers.CharField(help_text="A new access token that says `email_verified: true`.")


class PasswordResetInputSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="The six digits emailed to you.")
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AcceptedSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
