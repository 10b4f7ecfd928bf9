"""Signing in with email and password: a token pair, or a refusal that never says which was wrong."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.http import HttpRequest
from rest_framework import exceptions

from users.models import User
from users.signin.backends import last_refusal
from users.tokens.issuing import token_pair_for


class BadCredentials(exceptions.AuthenticationFailed):
    """Wrong email or password; never says which."""

    default_code = "no_active_account"
    default_detail = "No active account found with the given credentials."


def user_sign_in(*, request: HttpRequest, email: str, password: str) -> dict[str, str]:
    """Check credentials (counted per email and client address); return a token pair.

    A sign-in refused unchecked (locked, throttled, or as many checks in flight as the limit
    allows) is answered as such, never as wrong credentials.
    """
    user = authenticate(request, email=email, password=password)
    refusal = last_refusal()
    if user is None and refusal is not None:
        raise refusal
    if user is None or not user.is_active:
        raise BadCredentials()
    with transaction.atomic():  # one commit for both writes
        update_last_login(User, user)
        return token_pair_for(user)
