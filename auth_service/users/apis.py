"""The users API: registration and the caller's own profile."""

from __future__ import annotations

from rest_framework import permissions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from users import services
from users.serializers import MeUpdateInputSerializer, RegisterInputSerializer, UserOutputSerializer
from users.tokens import token_pair_for


class UserRegisterApi(APIView):
    """Create a customer and answer with the user and a token pair."""

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]

    def post(self, request: Request) -> Response:
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        body = {"user": UserOutputSerializer(user).data, **token_pair_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class MeApi(APIView):
    """The signed-in user's own profile."""

    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)  # type: ignore[arg-type]

    def patch(self, request: Request) -> Response:
        serializer = MeUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(UserOutputSerializer(user).data)
