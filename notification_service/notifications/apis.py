"""The notifications API: the caller's inbox, marking read, and the unread count."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.serializers import CountOutputSerializer, NotificationOutputSerializer
from servicekit.api import filtered, paginated
from servicekit.auth import request_user
from servicekit.permissions import IsUser
from servicekit.schema import PAGE_PARAMETERS, errors, filter_parameters, page_of


class NotificationListApi(APIView):
    """The caller's notifications, newest first, paginated; `?is_read=false` for unread ones."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="notifications_list",
        summary="List your notifications",
        tags=["notifications"],
        parameters=[*filter_parameters(selectors.NotificationFilter), *PAGE_PARAMETERS],
        responses={200: page_of(NotificationOutputSerializer), **errors(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        inbox = selectors.inbox(user_id=request_user(request).id)
        notifications = filtered(selectors.NotificationFilter, request, inbox)
        return paginated(request, self, notifications, NotificationOutputSerializer)


class NotificationDetailApi(APIView):
    """One of the caller's notifications; anyone else's is not found."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="notifications_retrieve",
        summary="Get one of your notifications",
        tags=["notifications"],
        responses={200: NotificationOutputSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, notification_id: uuid.UUID) -> Response:
        notification = selectors.notification_detail(notification_id, user_id=request_user(request).id)
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadApi(APIView):
    """Mark one of the caller's notifications read (again is harmless)."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="Mark a notification read",
        tags=["notifications"],
        request=None,
        responses={200: NotificationOutputSerializer, **errors(401, 404)},
    )
    def post(self, request: Request, notification_id: uuid.UUID) -> Response:
        notification = selectors.notification_detail(notification_id, user_id=request_user(request).id)
        notification = services.mark_read(notification=notification)
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    """Mark every unread notification of the caller read; answers how many changed."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="Mark all your notifications read",
        tags=["notifications"],
        request=None,
        responses={200: CountOutputSerializer, **errors(401)},
    )
    def post(self, request: Request) -> Response:
        count = services.mark_all_read(user_id=request_user(request).id)
        return Response(CountOutputSerializer({"count": count}).data)


class UnreadCountApi(APIView):
    """How many unread notifications the caller has (for a badge)."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="notifications_unread_count",
        summary="Count your unread notifications",
        tags=["notifications"],
        responses={200: CountOutputSerializer, **errors(401)},
    )
    def get(self, request: Request) -> Response:
        count = selectors.inbox(user_id=request_user(request).id).filter(is_read=False).count()
        return Response(CountOutputSerializer({"count": count}).data)
