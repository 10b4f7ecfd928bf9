"""What the bank's views share at the HTTP edge: who is asking and under which Idempotency-Key,
how a movement is answered, and an Idempotency-Key a request may send or leave out."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from ledger.models import Posting
from ledger.serializers import PostingOutputSerializer, TransactionOutputSerializer
from ledger.services import Actor, Movement
from servicekit.auth import ServicePrincipal, request_user
from servicekit.idempotency import HEADER, idempotent
from servicekit.schema import IDEMPOTENCY_KEY


def actor(request: Request, *, for_user: uuid.UUID | None = None) -> Actor:
    """Who is asking, and under which Idempotency-Key: the one place the bank reads either from a request.

    A person acts for themselves; a service (its token's client id) acts for `for_user`, the user
    its request names. The key is the one `servicekit.idempotency.idempotent` checked and claimed
    for this same caller, so the transaction records the owner and the key servicekit scoped it to
    ("" for a request that carries none).
    """
    key = request.headers.get(HEADER, "")
    principal = request.user
    if isinstance(principal, ServicePrincipal):
        return Actor(user_id=for_user, service=principal.client_id, idempotency_key=key)
    return Actor(user_id=request_user(request).id, idempotency_key=key)


def movement_answer(movement: Movement, *, postings: Sequence[Posting] | None = None) -> Response:
    """201 with the transaction and its postings (`postings`, when given: the part the caller may see)."""
    body = TransactionOutputSerializer(movement.transaction).data
    shown: Any = movement.postings if postings is None else postings
    body["postings"] = PostingOutputSerializer(shown, many=True).data
    return Response(body, status=status.HTTP_201_CREATED)


def idempotent_when_keyed(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """servicekit's `idempotent` for a request that sends an Idempotency-Key; one without runs as it is.

    For a creation that moves no money, where the key is the client's choice: with one, a retry
    answers the first answer (replayed, stored and scoped exactly as `idempotent` does it); a key
    that is sent must be valid (else 400 `idempotency_key_required`).
    """
    keyed = idempotent(view_method)

    @functools.wraps(view_method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        if HEADER in request.headers:
            return keyed(view, request, *args, **kwargs)
        return view_method(view, request, *args, **kwargs)

    return wrapper


OPTIONAL_IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=IDEMPOTENCY_KEY.pattern,
    description="Optional: 1-255 visible ASCII characters, new for every operation (a UUID will do). With it, the "
    "same request sent again (a retry after a lost answer) gets the first response replayed "
    "(`Idempotent-Replayed: true`) and opens no second account; with another body: 422; while the first is still "
    "running, the second waits for it and replays its answer. Without it, every request opens an account.",
)
