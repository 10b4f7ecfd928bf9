import time
from typing import Any

from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.auth import ServiceTokenAuthentication, UserOrServiceAuthentication
from servicekit.errors import ApplicationError, Conflict
from servicekit.idempotency import idempotent
from servicekit.permissions import EmailVerified, HasScope, IsStaff
from servicekit.urls import handler400, handler403, handler404, handler500, service_urlpatterns  # noqa: F401
from tests.models import Widget


class Boom(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError("something broke")


class Clash(APIView):
    permission_classes = [permissions.AllowAny]

    def post(self, request: Request) -> Response:
        raise Conflict("The widget is already sold.")


class ItemInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=5)
    quantity = serializers.IntegerField(min_value=1)


class Validate(APIView):
    permission_classes = [permissions.AllowAny]

    def post(self, request: Request) -> Response:
        serializer = ItemInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class Scoped(APIView):
    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("kit:test")]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class Either(APIView):
    authentication_classes = [UserOrServiceAuthentication]

    def get(self, request: Request) -> Response:
        return Response({"service": bool(request.user.is_service)})  # type: ignore[union-attr]


class WidgetCreate(APIView):
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = ItemInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["name"] == "slow":
            time.sleep(0.5)
        if serializer.validated_data["name"] == "crash":
            Widget.objects.create(name="half-done")
            raise RuntimeError("the request died half-way")
        widget = Widget.objects.create(name=serializer.validated_data["name"])
        return Response({"id": widget.pk, "name": widget.name}, status=201)


class WidgetDeclined(ApplicationError):
    status_code = 402
    default_code = "widget_declined"
    default_detail = "The widget was declined."


class WidgetBuy(APIView):
    """A purchase that commits before it may be declined, as a payment does (atomic=False)."""

    @idempotent(atomic=False)
    def post(self, request: Request) -> Response:
        widget = Widget.objects.create(name=str(request.data.get("name", ""))[:20])
        raise WidgetDeclined("No funds for it.", "insufficient_funds", extra={"widget": {"id": widget.pk}})


class StaffOnly(APIView):
    permission_classes = [IsStaff]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class VerifiedOnly(APIView):
    permission_classes = [EmailVerified]

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = service_urlpatterns(api="tests.urls_api")
