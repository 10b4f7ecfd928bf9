"""The sign-in API: a token pair for email and password."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from servicekit.api import validated
from servicekit.schema import errors
from servicekit.views import PublicApi
from users.signin.serializers import SignInInputSerializer
from users.signin.services import user_sign_in
from users.tokens.serializers import TokenPairSerializer


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
        pair = user_sign_in(request=request._request, email=data["email"], password=data["password"])
        return Response(pair)
