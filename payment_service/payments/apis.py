"""The payments API: the caller's payments, staff refunds, and the internal charge for order_service."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import selectors, services
from payments.serializers import ChargeInputSerializer, PaymentOutputSerializer
from servicekit.api import filtered, paginated, validated
from servicekit.auth import ServiceTokenAuthentication, request_user
from servicekit.idempotency import idempotent
from servicekit.permissions import HasScope, IsStaff, IsUser
from servicekit.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, errors, filter_parameters, page_of


class PaymentListApi(APIView):
    """The caller's payments, newest first (staff: all, `?user_id=`); `?status=`, `?order_id=`."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="payments_list",
        summary="List your payments (staff: all)",
        tags=["payments"],
        parameters=[*filter_parameters(selectors.PaymentFilter), *PAGE_PARAMETERS],
        responses={200: page_of(PaymentOutputSerializer), **errors(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        payments = filtered(selectors.PaymentFilter, request, selectors.payment_list(user=request_user(request)))
        return paginated(request, self, payments, PaymentOutputSerializer)


class PaymentDetailApi(APIView):
    """One of the caller's payments (staff: any); anyone else's is not found."""

    permission_classes = [IsUser]

    @extend_schema(
        operation_id="payments_retrieve",
        summary="Get one of your payments (staff: any)",
        tags=["payments"],
        responses={200: PaymentOutputSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, payment_id: uuid.UUID) -> Response:
        payment = selectors.payment_detail(payment_id=payment_id, user=request_user(request))
        return Response(PaymentOutputSerializer(payment).data)


class PaymentRefundApi(APIView):
    """Staff refund a succeeded payment in full (the order is marked refunded when it hears of it)."""

    permission_classes = [IsStaff]

    @extend_schema(
        summary="Refund a succeeded payment in full (staff)",
        description="The bank moves the money back; on 503 or 504 send the same request (same "
        "Idempotency-Key) again to finish it.",
        tags=["payments"],
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: PaymentOutputSerializer, **errors(400, 401, 403, 404, 409, 422, 503, 504)},
    )
    @idempotent(atomic=False)  # commits around the call to the bank; running again resumes the refund
    def post(self, request: Request, payment_id: uuid.UUID) -> Response:
        payment = services.payment_refund(payment_id=payment_id)
        return Response(PaymentOutputSerializer(payment).data)


class InternalChargeApi(APIView):
    """Internal (scope payments:charge): charge an order; the answer says succeeded or failed and why.

    Idempotent by `payment_id`: the same attempt sent again gets the same payment (200) and never
    a second charge. A bank outage is a 503 (the payment stays pending; send it again later).
    """

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("payments:charge")]

    def post(self, request: Request) -> Response:
        payment, created = services.payment_charge(**validated(ChargeInputSerializer, request))
        return Response(
            PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class InternalRefundApi(APIView):
    """Internal: refund a payment in full, when its order is cancelled."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("payments:charge")]

    def post(self, request: Request, payment_id: uuid.UUID) -> Response:
        return Response(PaymentOutputSerializer(services.payment_refund(payment_id=payment_id)).data)
