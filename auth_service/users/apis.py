"""The users API: registration, sign-in and tokens, the caller's profile, and user administration."""

from __future__ import annotations

from typing import cast

from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.api import filtered, paginated, validated
from servicekit.auth import get_verifier
from servicekit.keys import public_jwk
from servicekit.permissions import IsAdmin
from servicekit.views import PublicApi
from users import selectors, services, tokens
from users.keyring import keyring
from users.models import User
from users.serializers import (
    LogoutInputSerializer,
    MeUpdateInputSerializer,
    PasswordChangeInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    ServiceTokenInputSerializer,
    SignInInputSerializer,
    UserAccessInputSerializer,
    UserOutputSerializer,
    VerifyInputSerializer,
)
from users.service_clients import service_token_issue


def _user(request: Request) -> User:
    return cast(User, request.user)


class UserRegisterApi(PublicApi):
    """Create a customer and answer with the user and a token pair."""

    def post(self, request: Request) -> Response:
        user = services.user_register(**validated(RegisterInputSerializer, request))
        body = {"user": UserOutputSerializer(user).data, **tokens.token_pair_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenObtainApi(PublicApi):
    """Sign in with email and password; repeated failures lock the email for a while."""

    def post(self, request: Request) -> Response:
        data = validated(SignInInputSerializer, request)
        pair = services.user_sign_in(request=request._request, email=data["email"], password=data["password"])
        return Response(pair)


class TokenRefreshApi(PublicApi):
    """Trade a refresh token for a new pair; the old refresh token is revoked."""

    def post(self, request: Request) -> Response:
        return Response(tokens.token_refresh(**validated(RefreshInputSerializer, request)))


class TokenVerifyApi(PublicApi):
    """200 if the token (access or refresh) is valid, else 401."""

    def post(self, request: Request) -> Response:
        token = validated(VerifyInputSerializer, request)["token"]
        claims = get_verifier().verify(token, token_types=("access", "refresh")).claims
        if claims["token_type"] == "refresh" and not tokens.refresh_token_is_live(claims):
            raise tokens.RefreshRefused()
        return Response({"token_type": claims["token_type"], "exp": claims["exp"]})


class LogoutApi(APIView):
    """Revoke the given refresh token of the caller, or (`all: true`) every one."""

    def post(self, request: Request) -> Response:
        data = validated(LogoutInputSerializer, request)
        tokens.token_revoke(user=_user(request), refresh=data.get("refresh"), everything=data["all"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The signed-in user's own profile."""

    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(_user(request)).data)

    def patch(self, request: Request) -> Response:
        user = services.user_update(user=_user(request), **validated(MeUpdateInputSerializer, request))
        return Response(UserOutputSerializer(user).data)


class PasswordChangeApi(APIView):
    """Change the caller's password; every refresh token is revoked and a new pair returned."""

    def post(self, request: Request) -> Response:
        pair = services.user_change_password(user=_user(request), **validated(PasswordChangeInputSerializer, request))
        return Response(pair)


class UserListApi(APIView):
    """Administrators list users: `?search=`, `?role=`, `?is_active=`, paginated."""

    permission_classes = [IsAdmin]

    def get(self, request: Request) -> Response:
        users = filtered(selectors.UserFilter, request, selectors.user_list())
        return paginated(request, self, users, UserOutputSerializer)


class UserDetailApi(APIView):
    """Administrators read a user, grant or remove roles, and (de)activate."""

    permission_classes = [IsAdmin]

    def get(self, request: Request, user_id: str) -> Response:
        return Response(UserOutputSerializer(get_object_or_404(User, id=user_id)).data)

    def patch(self, request: Request, user_id: str) -> Response:
        user = get_object_or_404(User, id=user_id)
        changed = services.user_set_access(
            user=user, actor=_user(request), **validated(UserAccessInputSerializer, request)
        )
        return Response(UserOutputSerializer(changed).data)


class JwksApi(PublicApi):
    """The public keys that verify auth's tokens: the current one and those retired but still accepted."""

    def get(self, request: Request) -> Response:
        snapshot = keyring().snapshot()
        keys = [public_jwk(key) for key in snapshot.public_keys.values()]
        response = Response({"keys": keys})
        response["Cache-Control"] = "public, max-age=60"
        return response


class ServiceTokenApi(PublicApi):
    """The client-credentials grant for services (internal: the gateway does not route it)."""

    def post(self, request: Request) -> Response:
        token, lifetime, scopes = service_token_issue(**validated(ServiceTokenInputSerializer, request))
        return Response(
            {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(scopes)}
        )
