"""The people API: registration, the caller's profile and password, proving an address, resetting a
forgotten password, and user administration."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.api import filtered, paginated, validated
from servicekit.permissions import IsAdmin
from servicekit.schema import PAGE_PARAMETERS, errors, filter_parameters, page_of
from servicekit.views import PublicApi
from users.authentication import request_user
from users.people import selectors
from users.people.passwords import password_reset_confirm, password_reset_request, user_change_password
from users.people.serializers import (
    AcceptedSerializer,
    EmailVerifyInputSerializer,
    EmailVerifyOutputSerializer,
    MeUpdateInputSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    UserAccessInputSerializer,
    UserOutputSerializer,
)
from users.people.services import user_register, user_set_access, user_update
from users.people.verification import email_verification_resend, email_verify
from users.tokens.issuing import token_pair_for
from users.tokens.serializers import TokenPairSerializer


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
        user = user_register(**validated(RegisterInputSerializer, request))
        body = {"user": UserOutputSerializer(user).data, **token_pair_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class MeApi(APIView):
    """The signed-in user's own profile."""

    @extend_schema(summary="Your profile", tags=["profile"], responses={200: UserOutputSerializer, **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request_user(request)).data)

    @extend_schema(
        summary="Change your name",
        tags=["profile"],
        request=MeUpdateInputSerializer,
        responses={200: UserOutputSerializer, **errors(400, 401)},
        examples=[OpenApiExample("A new name", value={"full_name": "Ada Lovelace"}, request_only=True)],
    )
    def patch(self, request: Request) -> Response:
        user = user_update(user=request_user(request), **validated(MeUpdateInputSerializer, request))
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
        pair = user_change_password(user=request_user(request), request=request._request, **data)
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
        return Response(UserOutputSerializer(selectors.user_get(user_id=user_id)).data)

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
        user = selectors.user_get(user_id=user_id)
        changed = user_set_access(
            user=user, actor=request_user(request), **validated(UserAccessInputSerializer, request)
        )
        return Response(UserOutputSerializer(changed).data)


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
        user, access = email_verify(user=request_user(request), code=code)
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
        email_verification_resend(user=request_user(request))
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
        password_reset_request(**validated(PasswordResetInputSerializer, request))
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
        password_reset_confirm(request=request._request, **validated(PasswordResetConfirmInputSerializer, request))
        return Response({"detail": "Your password was changed; sign in with the new one."})
