"""`Idempotency-Key` for every request that moves money or creates an order or a payment (Stripe's semantics).

A replay returns the first response; the same key with another body is 422; a replay while the
first is still running is 409. Keys are scoped to the caller and kept at least
IDEMPOTENCY_KEY_TTL (24 h); `manage.py prune_idempotency_keys` deletes older ones.

The key is claimed in a transaction of its own (so a concurrent duplicate sees it at once), and
the view's work and the stored response commit together: after a crash either both are there
or neither. A claim left running by a request that died is taken over by the next request with
its key: at once if the database session that claimed it is gone (its process was killed, or
the database restarted), else after IDEMPOTENCY_CLAIM_TIMEOUT seconds.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from servicekit.errors import ApplicationError
from servicekit.models import IdempotencyKey

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the IETF draft's examples


class IdempotencyKeyRequired(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_required"
    default_detail = f"This request needs an {HEADER} header (1-255 visible ASCII characters)."


class IdempotencyKeyReused(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = f"This {HEADER} was already used with a different request."


class IdempotencyInProgress(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_progress"
    default_detail = f"A request with this {HEADER} is still being processed; retry later."


def _owner(request: Request) -> str:
    principal: Any = request.user
    if getattr(principal, "is_service", False):
        return f"service:{principal.client_id}"
    return f"user:{principal.pk}"


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(owner: str, key: str, fingerprint: str) -> tuple[int, datetime] | Response:
    """Claim the key for this request, or return the stored response of its first use.

    A claim is the row's id and its `claimed_at`: the claim's owner proves it by that stamp, so a
    request whose claim was taken over can no longer complete or free it.
    """
    for _ in range(3):
        # One statement, committed on its own, so a concurrent duplicate sees the claim at once.
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, [owner, key, fingerprint, IdempotencyKey.State.RUNNING, now, now])
            inserted = cursor.fetchone()
        if inserted is not None:
            return inserted[0], now
        record = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if record is None:
            continue  # the first request failed and freed the key just now: claim it again
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if record.state == IdempotencyKey.State.DONE:
            return _replay(record)
        # Still running: take it over only if its request has surely died. A live request holds
        # the row locked, so this waits for it, and then finds it done.
        stale = now - timedelta(seconds=settings.IDEMPOTENCY_CLAIM_TIMEOUT)
        with connection.cursor() as cursor:
            # Sessions are read afresh, not from a snapshot an enclosing transaction may hold.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(_TAKE_OVER, [now, record.pk, IdempotencyKey.State.RUNNING, stale, record.claimed_at])
            taken = cursor.rowcount
        if taken != 1:
            raise IdempotencyInProgress()
        return record.pk, now
    raise IdempotencyInProgress()


_TABLE = IdempotencyKey._meta.db_table
# The hot path's statements are written out: every money-moving request runs them. A claim
# records the database session (backend pid) of the request that holds it.
_INSERT = (
    f"INSERT INTO {_TABLE} (owner, key, fingerprint, state, created_at, claimed_at, claimed_by)"  # noqa: S608
    " VALUES (%s, %s, %s, %s, %s, %s, pg_backend_pid()) ON CONFLICT (owner, key) DO NOTHING RETURNING id"
)
# A running claim is taken over when it is older than the timeout, or when the session that
# claimed it no longer exists: a killed worker's connections close with it, and a restarted
# database ends every session. A live request keeps its session for its whole length, so its
# claim is never taken from it early; a session of this very request's connection cannot be
# running another request.
_TAKE_OVER = f"""
UPDATE {_TABLE} SET claimed_at = %s, claimed_by = pg_backend_pid()
WHERE id = %s AND state = %s AND (
    claimed_at < %s
    OR (claimed_at = %s AND claimed_by IS NOT NULL AND (
        claimed_by = pg_backend_pid()
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = claimed_by)))
)
"""  # noqa: S608 - a fixed table name
_HOLD = f"SELECT 1 FROM {_TABLE} WHERE id = %s AND claimed_at = %s AND state = %s FOR UPDATE"  # noqa: S608
_STORE = (
    f"UPDATE {_TABLE} SET state = %s, response_status = %s, response_body = %s::jsonb"  # noqa: S608
    " WHERE id = %s AND claimed_at = %s"
)


def _hold(claim: tuple[int, datetime]) -> bool:
    """Lock the claimed row for the rest of the transaction; False if the claim was taken over."""
    with connection.cursor() as cursor:
        cursor.execute(_HOLD, [*claim, IdempotencyKey.State.RUNNING])
        return cursor.fetchone() is not None


def _store(claim: tuple[int, datetime], response: Response) -> None:
    body = json.dumps(response.data, default=str)
    with connection.cursor() as cursor:
        cursor.execute(_STORE, [IdempotencyKey.State.DONE, response.status_code, body, *claim])


def _free(claim: tuple[int, datetime]) -> None:
    """Delete this request's claim, unless it was taken over, so that the client can retry."""
    IdempotencyKey.objects.filter(pk=claim[0], claimed_at=claim[1], state=IdempotencyKey.State.RUNNING).delete()


def idempotent(view_method: Callable[..., Response] | None = None, *, atomic: bool = True) -> Any:
    """Make an APIView method honour a required `Idempotency-Key` header.

    A success, and a refusal the view decided (any 4xx error), is stored and replayed; a 5xx or
    an unexpected error frees the key, since nothing was written and a retry may succeed.

    By default the view runs in one transaction with the stored response. A view that calls
    other services between its own commits (so that a crash never loses what they did) uses
    `@idempotent(atomic=False)`: it must then be safe to run again, because after a crash the
    key is taken over (after IDEMPOTENCY_CLAIM_TIMEOUT) and the request runs once more.
    """
    if view_method is None:
        return functools.partial(idempotent, atomic=atomic)
    method = view_method

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "")
        if not _VALID_KEY.fullmatch(key):
            raise IdempotencyKeyRequired()
        claim = _claim(_owner(request), key, _fingerprint(request))
        if isinstance(claim, Response):
            return claim
        try:
            with transaction.atomic() if atomic else contextlib.nullcontext():
                # Hold the claim for the whole transaction; if it was taken over, stop here.
                if atomic and not _hold(claim):
                    raise IdempotencyInProgress()
                response = method(view, request, *args, **kwargs)
                if response.status_code < 500:
                    _store(claim, response)
                    return response
        except (APIException, ApplicationError) as error:
            if error.status_code < 500 and not isinstance(error, IdempotencyInProgress):
                response = view.handle_exception(error)
                _store(claim, response)
                return response
            _free(claim)
            raise
        except BaseException:
            _free(claim)  # nothing was kept (or, with atomic=False, running again is safe)
            raise
        _free(claim)
        return response

    return wrapper


def prune_idempotency_keys() -> int:
    """Delete keys older than IDEMPOTENCY_KEY_TTL; return how many."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
