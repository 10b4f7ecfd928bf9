"""The client-credentials grant: a service obtains a token of its own (internal: the gateway does not route it)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from servicekit.api import validated
from servicekit.views import PublicApi
from users.clients.serializers import ServiceTokenInputSerializer
from users.clients.services import service_token_issue


class ServiceTokenApi(PublicApi):
    """The client-credentials grant for services (internal: the gateway does not route it)."""

    def post(self, request: Request) -> Response:
        token, lifetime, scopes = service_token_issue(**validated(ServiceTokenInputSerializer, request))
        return Response(
            {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(scopes)}
        )
