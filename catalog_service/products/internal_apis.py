"""The catalog's internal API: order_service's stock reservations (hidden by the gateway)."""

from __future__ import annotations

import uuid

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from products import selectors, services
from products.serializers import ReservationInputSerializer, ReservationOutputSerializer
from servicekit.api import validated
from servicekit.auth import ServiceTokenAuthentication
from servicekit.permissions import HasScope


class ReservationCreateApi(APIView):
    """Internal: order_service (scope catalog:reserve) holds stock for an order, all lines or none."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("catalog:reserve")]

    def post(self, request: Request) -> Response:
        data = validated(ReservationInputSerializer, request)
        lines = [(line["product_id"], line["quantity"]) for line in data["lines"]]
        reservation, created = services.reservation_create(order_id=data["order_id"], lines=lines)
        body = ReservationOutputSerializer(reservation).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReservationDetailApi(APIView):
    """Internal: an order's reservation, for the order service's reconciler."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("catalog:reserve")]

    def get(self, request: Request, order_id: uuid.UUID) -> Response:
        return Response(ReservationOutputSerializer(selectors.reservation_detail(order_id)).data)


class ReservationActionApi(APIView):
    """Internal: commit an order's reservation (paid) or release it (cancelled or refunded)."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("catalog:reserve")]
    action = staticmethod(services.reservation_commit)

    def post(self, request: Request, order_id: uuid.UUID) -> Response:
        return Response(ReservationOutputSerializer(self.action(order_id=order_id)).data)
