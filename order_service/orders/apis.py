"""The orders API: place, list, pay, cancel, and (staff) fulfil orders."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.errors import PaymentDeclined
from orders.models import Order
from orders.serializers import (
    CancelInputSerializer,
    OrderCreateInputSerializer,
    OrderOutputSerializer,
    PayInputSerializer,
    PaymentDeclinedSerializer,
)
from servicekit.api import filtered, paginated, validated
from servicekit.auth import TokenUser, request_user
from servicekit.idempotency import idempotent
from servicekit.permissions import EmailVerified, IsStaff, IsUser
from servicekit.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, errors, filter_parameters, page_of

ORDER_IDS = uuid.UUID("6f3b2a1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c")  # the namespace of order ids made from keys


def _actor(user: TokenUser) -> services.Actor:
    return services.Actor("staff" if user.is_staff else "customer", user.id)


def _data(order: Order) -> dict[str, Any]:
    """The order as the answer shows it: the one the request changed, its lines and history loaded
    once (from memory when they were just written), never read again."""
    return dict(OrderOutputSerializer(selectors.with_details(order)).data)


def _answer(order: Order, code: int = status.HTTP_200_OK) -> Response:
    return Response(_data(order), status=code)


class OrderListCreateApi(APIView):
    """The caller's orders (staff: all, `?user_id=`), `?status=`; and placing an order."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="orders_list",
        summary="List your orders (staff: all)",
        tags=["orders"],
        parameters=[*filter_parameters(selectors.OrderFilter), *PAGE_PARAMETERS],
        responses={200: page_of(OrderOutputSerializer), **errors(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        orders = filtered(selectors.OrderFilter, request, selectors.order_list(user=request_user(request)))
        return paginated(request, self, orders, OrderOutputSerializer)

    @extend_schema(
        summary="Place an order",
        description="Reserves stock for every item (all or none) at the catalog's current prices; "
        "the order stays pending, with its stock held, until it is paid or the reservation expires. "
        f"At most {settings.ORDERS_MAX_LINE_QUANTITY} units per item and {settings.ORDERS_MAX_ORDER_QUANTITY} "
        "in all (400 `validation_error`); a total over what one payment may be "
        f"({settings.BANK_MAX_AMOUNT} minor units) is a 400 `order_total_too_large`; a customer who has "
        f"{settings.ORDERS_MAX_PENDING_PER_CUSTOMER} pending orders gets a 409 `too_many_pending_orders` until "
        "one of them is paid, cancelled or expires.",
        tags=["orders"],
        request=OrderCreateInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderOutputSerializer, **errors(400, 401, 409, 422, 503, 504)},
        examples=[
            OpenApiExample(
                "Two items",
                value={
                    "items": [
                        {"product_id": "9b2f6c1e-4a7d-4e3b-8f0a-5c6d7e8f9a0b", "quantity": 2},
                        {"product_id": "1d4e7a2b-3c5f-4a6b-9e8d-0f1a2b3c4d5e", "quantity": 1},
                    ],
                    "shipping_address": "Jane Doe, Hauptstrasse 1, 10115 Berlin, DE",
                    "note": "Please leave at the door.",
                },
                request_only=True,
            ),
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        user = request_user(request)
        # The same key always names the same order: a retry after a lost answer finds its reservation.
        order_id = uuid.uuid5(ORDER_IDS, f"{user.id}:{request.headers['Idempotency-Key']}")
        data = validated(OrderCreateInputSerializer, request)
        order = services.order_create(user_id=user.id, order_id=order_id, **data)
        return _answer(order, status.HTTP_201_CREATED)


class OrderDetailApi(APIView):
    """One of the caller's orders (staff: any), with its lines and history."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="orders_retrieve",
        summary="Get one of your orders (staff: any)",
        tags=["orders"],
        responses={200: OrderOutputSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, order_id: uuid.UUID) -> Response:
        return _answer(selectors.order_detail(order_id=order_id, user=request_user(request)))


class OrderPayApi(APIView):
    """The owner pays a pending order from one of their accounts; answers with the paid order.

    A declined payment is a 402 whose code says why, with the order (still pending, payable again);
    503 or 504 mean payments or the bank did not answer: send the same request again to finish it.
    """

    permission_classes = [EmailVerified]

    @extend_schema(
        summary="Pay a pending order",
        description="Answers with the paid order. A declined payment (insufficient funds, a frozen or "
        "someone else's account, another currency) is a 402 whose `code` says why (`insufficient_funds`, "
        "...), with the order in `order`: still pending, `payment.error` saying why, payable again with a "
        "new Idempotency-Key (from another account, say). On 503 or 504 send the same request (same "
        "Idempotency-Key) again to finish it.",
        tags=["orders"],
        request=PayInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: OrderOutputSerializer,
            402: OpenApiResponse(
                PaymentDeclinedSerializer,
                description="The payment was declined: `code` says why, `order` is the order, still pending.",
            ),
            **errors(400, 401, 403, 404, 409, 422, 503, 504),
        },
        examples=[
            OpenApiExample(
                "From one of your accounts",
                value={"account_id": "6a0c3e5f-2b8d-4f1e-a7c9-4d2e1b0a9f87"},
                request_only=True,
            ),
        ],
    )
    @idempotent(atomic=False)  # commits around each call to payments; running again resumes the attempt
    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        user = request_user(request)
        data = validated(PayInputSerializer, request)
        try:
            # Only the owner pays an order: anyone else's (staff too) is not found.
            order = services.order_pay(
                order_id=order_id, owner_id=user.id, account_id=data["account_id"], actor=_actor(user)
            )
        except PaymentDeclined as declined:
            # The refusal carries the order, as a success does, so the client need not ask for it again.
            declined.extra["order"] = _data(declined.order)
            raise
        return _answer(order)


class OrderCancelApi(APIView):
    """The owner (or staff) cancels a pending order, or cancels a paid one for a full refund."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="Cancel an order",
        description="A pending order is cancelled and its stock released; a paid one is cancelled and "
        "refunded in full. An order already cancelled or refunded is answered as it is, so a cancel sent "
        "again after a lost answer gets its outcome. On 503 or 504 (payments did not answer) the paid order "
        "keeps `payment.refund_in_progress` and cannot be fulfilled: send the same request again to finish "
        "the refund (the reconciler finishes it too).",
        tags=["orders"],
        request=CancelInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: OrderOutputSerializer, **errors(400, 401, 404, 409, 422, 503, 504)},
        examples=[
            OpenApiExample("With a reason", value={"reason": "Ordered the wrong size."}, request_only=True),
        ],
    )
    @idempotent(atomic=False)  # commits around the call to payments; running again resumes the refund
    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        user = request_user(request)
        data = validated(CancelInputSerializer, request)
        order = services.order_cancel(
            order_id=order_id, owner_id=None if user.is_staff else user.id, actor=_actor(user), reason=data["reason"]
        )
        return _answer(order)


class OrderFulfilApi(APIView):
    """Staff mark a paid order fulfilled (shipped)."""

    permission_classes = [IsStaff]

    @extend_schema(
        summary="Mark a paid order fulfilled (staff)",
        description="409 `invalid_transition` if the order is not paid, 409 `refund_in_progress` while a "
        "refund of it is in flight (a cancel whose answer from payments has not arrived yet).",
        tags=["orders"],
        request=None,
        responses={200: OrderOutputSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        order = services.order_fulfil(order_id=order_id, actor=_actor(request_user(request)))
        return _answer(order)
