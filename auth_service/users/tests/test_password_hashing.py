"""Passwords are hashed with Argon2id at OWASP's parameters, and older hashes are upgraded at sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, identify_hasher
from rest_framework.test import APIClient

from users.models import User

pytestmark = pytest.mark.django_db

TOKEN = "/auth/api/token/"
OWASP = "m=19456,t=2,p=1"


def _parameters(encoded: str) -> str:
    # argon2$argon2id$v=19$m=...,t=...,p=...$salt$hash
    return encoded.split("$")[3]


def test_a_new_password_is_hashed_with_argon2id_at_owasp_parameters(user: User) -> None:
    assert user.password.startswith("argon2$argon2id$")
    assert _parameters(user.password) == OWASP


def test_a_hash_made_with_djangos_default_parameters_is_upgraded_at_the_next_sign_in(user: User, password: str) -> None:
    user.password = Argon2PasswordHasher().encode(password, Argon2PasswordHasher().salt())
    user.save(update_fields=["password"])
    assert _parameters(user.password) == "m=102400,t=2,p=8"

    response = APIClient().post(TOKEN, {"email": user.email, "password": password}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert _parameters(user.password) == OWASP
    assert check_password(password, user.password)


def test_a_wrong_password_leaves_an_old_hash_as_it_was(user: User, password: str) -> None:
    old = Argon2PasswordHasher().encode(password, Argon2PasswordHasher().salt())
    user.password = old
    user.save(update_fields=["password"])

    response = APIClient().post(TOKEN, {"email": user.email, "password": "not-the-password"}, format="json")

    assert response.status_code == 401
    user.refresh_from_db()
    assert user.password == old
    assert identify_hasher(user.password).algorithm == "argon2"
