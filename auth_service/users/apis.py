"""The users API: registration, sign-in and tokens, the caller's profile, and user administration."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.api import filtered, paginated, validated
from servicekit.auth import get_verifier
from servicekit.keys import public_jwk
from servicekit.permissions import IsAdmin
from servicekit.schema import PAGE_PARAMETERS, errors, filter_parameters, page_of
from servicekit.views import PublicApi
from users import selectors, services, tokens
from users.keyring import keyring
from users.models import User
from users.serializers import (
    AcceptedSerializer,
    EmailVerifyInputSerializer,
    EmailVerifyOutputSerializer,
    JwksSerializer,
    LogoutInputSerializer,
    MeUpdateInputSerializer,
    OpenIdConfigurationSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    ServiceTokenInputSerializer,
    SignInInputSerializer,
    TokenPairSerializer,
    UserAccessInputSerializer,
    UserOutputSerializer,
    VerifyInputSerializer,
    VerifyOutputSerializer,
)
from users.service_clients import service_token_issue


def _user(request: Request) -> User:
    return cast(User, request.user)


class UserRegisterApi(PublicApi):
    """Create a customer and answer with the user and a token pair."""

    @extend_schema(
        summary="Register a customer",
        tags=["auth"],
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer, **errors(400, 429)},
        examples=[
            OpenApiExample(
                "A new customer",
                value={"email": "ada@example.com", "password": "correct-horse-battery", "full_name": "Ada"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        user = services.user_register(**validated(RegisterInputSerializer, request))
        body = {"user": UserOutputSerializer(user).data, **tokens.token_pair_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenObtainApi(PublicApi):
    """Sign in with email and password; repeated failures lock the email for a while."""

    @extend_schema(
        summary="Sign in: a token pair for email and password",
        tags=["auth"],
        request=SignInInputSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429)},
        examples=[
            OpenApiExample(
                "Credentials",
                value={"email": "ada@example.com", "password": "correct-horse-battery"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(SignInInputSerializer, request)
        pair = services.user_sign_in(request=request._request, email=data["email"], password=data["password"])
        return Response(pair)


class TokenRefreshApi(PublicApi):
    """Trade a refresh token for a new pair; the old refresh token is revoked."""

    @extend_schema(
        summary="Refresh: a new pair for a refresh token (which is revoked)",
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429)},
        examples=[OpenApiExample("A refresh token", value={"refresh": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        return Response(tokens.token_refresh(**validated(RefreshInputSerializer, request)))


class TokenVerifyApi(PublicApi):
    """200 if the token (access or refresh) is valid, else 401."""

    @extend_schema(
        summary="Verify a token",
        tags=["auth"],
        request=VerifyInputSerializer,
        responses={200: VerifyOutputSerializer, **errors(400, 401)},
        examples=[OpenApiExample("A token", value={"token": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        token = validated(VerifyInputSerializer, request)["token"]
        claims = get_verifier().verify(token, token_types=("access", "refresh")).claims
        if claims["token_type"] == "refresh" and not tokens.refresh_token_is_live(claims):
            raise tokens.RefreshRefused()
        return Response({"token_type": claims["token_type"], "exp": claims["exp"]})


class LogoutApi(APIView):
    """Revoke the given refresh token of the caller, or (`all: true`) every one."""

    @extend_schema(
        summary="Sign out: revoke a refresh token, or all of them",
        tags=["auth"],
        request=LogoutInputSerializer,
        responses={204: None, **errors(400, 401)},
        examples=[
            OpenApiExample("This session", value={"refresh": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True),
            OpenApiExample("Everywhere", value={"all": True}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(LogoutInputSerializer, request)
        tokens.token_revoke(user=_user(request), refresh=data.get("refresh"), everything=data["all"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The signed-in user's own profile."""

    @extend_schema(summary="Your profile", tags=["profile"], responses={200: UserOutputSerializer, **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(_user(request)).data)

    @extend_schema(
        summary="Change your name",
        tags=["profile"],
        request=MeUpdateInputSerializer,
        responses={200: UserOutputSerializer, **errors(400, 401)},
        examples=[OpenApiExample("A new name", value={"full_name": "Ada Lovelace"}, request_only=True)],
    )
    def patch(self, request: Request) -> Response:
        user = services.user_update(user=_user(request), **validated(MeUpdateInputSerializer, request))
        return Response(UserOutputSerializer(user).data)


class PasswordChangeApi(APIView):
    """Change the caller's password; every refresh token is revoked and a new pair returned."""

    @extend_schema(
        summary="Change your password (signs out every other session)",
        tags=["profile"],
        request=PasswordChangeInputSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429)},
        examples=[
            OpenApiExample(
                "Old and new",
                value={"old_password": "correct-horse-battery", "new_password": "another-long-passphrase"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(PasswordChangeInputSerializer, request)
        pair = services.user_change_password(user=_user(request), request=request._request, **data)
        return Response(pair)


class UserListApi(APIView):
    """Administrators list users: `?search=`, `?role=`, `?is_active=`, paginated."""

    permission_classes = [IsAdmin]

    @extend_schema(
        summary="List users (administrators)",
        tags=["users"],
        operation_id="users_list",
        parameters=[*filter_parameters(selectors.UserFilter), *PAGE_PARAMETERS],
        responses={200: page_of(UserOutputSerializer), **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        users = filtered(selectors.UserFilter, request, selectors.user_list())
        return paginated(request, self, users, UserOutputSerializer)


class UserDetailApi(APIView):
    """Administrators read a user, grant or remove roles, and (de)activate."""

    permission_classes = [IsAdmin]

    @extend_schema(
        summary="One user (administrators)",
        tags=["users"],
        operation_id="users_retrieve",
        responses={200: UserOutputSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, user_id: str) -> Response:
        return Response(UserOutputSerializer(get_object_or_404(User, id=user_id)).data)

    @extend_schema(
        summary="Grant or remove roles, (de)activate (administrators)",
        tags=["users"],
        request=UserAccessInputSerializer,
        responses={200: UserOutputSerializer, **errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample("Make staff", value={"roles": ["customer", "staff"]}, request_only=True),
            OpenApiExample("Deactivate", value={"is_active": False}, request_only=True),
            OpenApiExample("Mark the address verified", value={"email_verified": True}, request_only=True),
        ],
    )
    def patch(self, request: Request, user_id: str) -> Response:
        user = get_object_or_404(User, id=user_id)
        changed = services.user_set_access(
            user=user, actor=_user(request), **validated(UserAccessInputSerializer, request)
        )
        return Response(UserOutputSerializer(changed).data)


class JwksApi(PublicApi):
    """The public keys that verify auth's tokens: the current one and those retired but still accepted."""

    @extend_schema(summary="The public keys that verify tokens (JWKS)", tags=["auth"], responses={200: JwksSerializer})
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


class EmailVerifyApi(APIView):
    """Prove the address is yours with the code emailed to it; answers with a new access token that says so."""

    @extend_schema(
        summary="Verify your email address with the emailed code",
        description="Until the address is verified, moving money (transfers, paying orders) answers 403 "
        "`email_not_verified`. The new access token carries `email_verified: true`; so does every token "
        "refreshed from now on. A code is valid 15 minutes and allows 5 wrong tries.",
        tags=["profile"],
        request=EmailVerifyInputSerializer,
        responses={200: EmailVerifyOutputSerializer, **errors(400, 401)},
        examples=[OpenApiExample("The code", value={"code": "042917"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        code = validated(EmailVerifyInputSerializer, request)["code"]
        user, access = services.email_verify(user=_user(request), code=code)
        return Response({"user": UserOutputSerializer(user).data, "access": access})


class EmailVerifyResendApi(APIView):
    """Email a new verification code (the old one stops working); one a minute."""

    @extend_schema(
        summary="Send a new verification code",
        tags=["profile"],
        request=None,
        responses={202: AcceptedSerializer, **errors(401, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        services.email_verification_resend(user=_user(request))
        return Response({"detail": "A new code is on its way."}, status=status.HTTP_202_ACCEPTED)


RESET_ACCEPTED = "If an account has this address, a code to reset its password is on its way."


class PasswordResetApi(PublicApi):
    """Ask for a password reset code by email; the answer is the same whether or not the address exists."""

    @extend_schema(
        summary="Forgot your password: email a reset code",
        description="Always 202 with the same body. A code goes to the address if an account has it "
        "(at most one a minute); it is valid 15 minutes.",
        tags=["auth"],
        request=PasswordResetInputSerializer,
        responses={202: AcceptedSerializer, **errors(400, 429)},
        examples=[OpenApiExample("Your address", value={"email": "ada@example.com"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        services.password_reset_request(**validated(PasswordResetInputSerializer, request))
        return Response({"detail": RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(PublicApi):
    """Choose a new password with the emailed code; every session of the account ends."""

    @extend_schema(
        summary="Set a new password with the reset code",
        description="The code works once. Wrong codes count like wrong passwords (429 `login_locked` or "
        "`login_throttled` past the limit). Every refresh token of the account is revoked: sign in again.",
        tags=["auth"],
        request=PasswordResetConfirmInputSerializer,
        responses={200: AcceptedSerializer, **errors(400, 429)},
        examples=[
            OpenApiExample(
                "Code and new password",
                value={"email": "ada@example.com", "code": "042917", "new_password": "another-long-passphrase"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        services.password_reset_confirm(
            request=request._request, **validated(PasswordResetConfirmInputSerializer, request)
        )
        return Response({"detail": "Your password was changed; sign in with the new one."})


class OpenIdConfigurationApi(PublicApi):
    """Where the keys and the token endpoint are, for any standard JOSE or OpenID Connect library."""

    @extend_schema(
        summary="OpenID Connect discovery: issuer, JWKS and algorithms",
        tags=["auth"],
        responses={200: OpenIdConfigurationSerializer},
    )
    def get(self, request: Request) -> Response:
        base = public_base_url(request)
        response = Response(
            {
                "issuer": settings.JWT_ISSUER,
                "jwks_uri": f"{base}/auth/.well-known/jwks.json",
                "token_endpoint": f"{base}/auth/api/token/",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "grant_types_supported": ["password", "refresh_token"],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "claims_supported": ["iss", "aud", "exp", "iat", "jti", "user_id", "email", "email_verified", "roles"],
            }
        )
        response["Cache-Control"] = "public, max-age=300"
        return response


def public_base_url(request: Request) -> str:
    """The gateway's address as clients see it: GATEWAY_PUBLIC_URL when absolute, else the client's own Host.

    Never the address the service listens on: a request without a Host header gets relative paths.
    """
    configured = str(settings.GATEWAY_PUBLIC_URL)
    if configured.startswith(("http://", "https://")):
        return configured.rstrip("/")
    if request.META.get("HTTP_HOST"):
        return request.build_absolute_uri("/").rstrip("/")
    return ""
