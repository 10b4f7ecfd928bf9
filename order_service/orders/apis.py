"""The orders API: place, list, pay, cancel, and (staff) fulfil orders."""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.models import Order
from orders.serializers import (
    CancelInputSerializer,
    OrderCreateInputSerializer,
    OrderOutputSerializer,
    PayInputSerializer,
)
from servicekit.api import filtered, paginated, validated
from servicekit.auth import request_user
from servicekit.idempotency import idempotent
from servicekit.permissions import IsStaff, IsUser


def _actor(request: Request) -> services.Actor:
    user = request_user(request)
    return services.Actor("staff" if user.is_staff else "customer", user.id)


def _order(request: Request, order_id: uuid.UUID) -> Order:
    return get_object_or_404(selectors.order_list(request), id=order_id)


def _answer(order: Order, code: int = status.HTTP_200_OK) -> Response:
    fresh = Order.objects.prefetch_related("lines", "history").get(id=order.id)
    return Response(OrderOutputSerializer(fresh).data, status=code)


class OrderListCreateApi(APIView):
    """The caller's orders (staff: all, `?user_id=`), `?status=`; and placing an order."""

    permission_classes = [IsUser]

    def get(self, request: Request) -> Response:
        orders = filtered(selectors.OrderFilter, request, selectors.order_list(request))
        return paginated(request, self, orders, OrderOutputSerializer)

    @idempotent
    def post(self, request: Request) -> Response:
        order = services.order_create(
            user_id=request_user(request).id, **validated(OrderCreateInputSerializer, request)
        )
        return _answer(order, status.HTTP_201_CREATED)


class OrderDetailApi(APIView):
    """One of the caller's orders (staff: any), with its lines and history."""

    permission_classes = [IsUser]

    def get(self, request: Request, order_id: uuid.UUID) -> Response:
        return Response(OrderOutputSerializer(_order(request, order_id)).data)


class OrderPayApi(APIView):
    """The owner pays a pending order from one of their accounts; answers with the order.

    `payment.error` says why a payment failed (the order stays pending, payable again); 503 or
    504 mean payments or the bank did not answer: send the same request again to finish it.
    """

    permission_classes = [IsUser]

    @idempotent(atomic=False)  # commits around each call to payments; running again resumes the attempt
    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        order = get_object_or_404(Order, id=order_id, user_id=request_user(request).id)
        data = validated(PayInputSerializer, request)
        return _answer(services.order_pay(order=order, account_id=data["account_id"], actor=_actor(request)))


class OrderCancelApi(APIView):
    """The owner (or staff) cancels a pending order, or cancels a paid one for a full refund."""

    permission_classes = [IsUser]

    @idempotent
    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        order = _order(request, order_id)
        data = validated(CancelInputSerializer, request)
        return _answer(services.order_cancel(order=order, actor=_actor(request), reason=data["reason"]))


class OrderFulfilApi(APIView):
    """Staff mark a paid order fulfilled (shipped)."""

    permission_classes = [IsStaff]

    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        return _answer(services.order_fulfil(order=get_object_or_404(Order, id=order_id), actor=_actor(request)))
