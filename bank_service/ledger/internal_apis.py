"""The bank's internal API: a service's movements for a user, charges and refunds (hidden by the gateway)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import services
from ledger.edge import actor, movement_answer
from ledger.serializers import MovementCreateInputSerializer
from servicekit.api import validated
from servicekit.auth import ServiceTokenAuthentication
from servicekit.idempotency import idempotent
from servicekit.permissions import HasScope


class MovementCreateApi(APIView):
    """Internal: a service (scope bank:transfer) charges a user's account to merchant revenue, or refunds it.

    Answers 201 with the transaction and both its postings; the same Idempotency-Key (the service's
    own) answers the same again and never moves money twice.
    """

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("bank:transfer")]

    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(MovementCreateInputSerializer, request)
        for_user = data.pop("user_id")
        return movement_answer(services.movement_create(**data, actor=actor(request, for_user=for_user)))
