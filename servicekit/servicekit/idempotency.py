"""`Idempotency-Key` for every request that moves money or creates an order or a payment (Stripe's semantics).

A replay returns the first response; the same key with another body is 422. Keys are scoped to
the caller and kept at least IDEMPOTENCY_KEY_TTL (24 h); `manage.py prune_idempotency_keys`
deletes older ones.

By default (`atomic`), the claim of the key, the view's work and the stored response are one
transaction that commits once: the key's row is inserted first, so a concurrent duplicate waits
on the key's unique index until the first request ends, and then replays its answer (or, if the
first wrote nothing, runs itself). A crash rolls the claim back with the rest: there is never a
claim left behind, and the client's retry simply runs.

A view that calls other services between its own commits (`atomic=False`) claims the key in a
transaction of its own (so a concurrent duplicate sees it at once: 409 while the first runs).
A claim left running by a request that died is taken over by the next request with its key: at
once if the database session that claimed it is gone (its process was killed, or the database
restarted), else after IDEMPOTENCY_CLAIM_TIMEOUT seconds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from servicekit.conf.database import pooled
from servicekit.errors import ApplicationError
from servicekit.models import IdempotencyKey

P = ParamSpec("P")
T = TypeVar("T")

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
    """Claim the key for this request, or return the stored response of its first use (or raise 409, 422).

    A claim is the row's id and its `claimed_at`: the claim's owner proves it by that stamp, so a
    request whose claim was taken over can no longer complete or free it.
    """
    for _ in range(3):
        # Committed on its own (atomic=False), a concurrent duplicate sees the claim at once; in an
        # atomic request's transaction, a duplicate's insert waits here until the first one ends.
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(_sessions(_INSERT), [owner, key, fingerprint, IdempotencyKey.State.RUNNING, now, now])
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
        # Still running (only a claim committed on its own, atomic=False, is ever seen so): take
        # it over only if its request has surely died.
        stale = now - timedelta(seconds=settings.IDEMPOTENCY_CLAIM_TIMEOUT)
        with connection.cursor() as cursor:
            # Sessions are read afresh, not from a snapshot an enclosing transaction may hold.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                _sessions(_TAKE_OVER), [now, record.pk, IdempotencyKey.State.RUNNING, stale, record.claimed_at]
            )
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


def _sessions(statement: str) -> str:
    """The statement as it records claims here: by session, except behind a transaction pooler.

    There a server session serves one transaction of one client, then another's: its pid names no
    request, and lives on after the request died. A claim then records none, and is taken over
    only after IDEMPOTENCY_CLAIM_TIMEOUT.
    """
    return statement.replace("pg_backend_pid()", "NULL") if pooled(connection.settings_dict) else statement


_STORE = (
    f"UPDATE {_TABLE} SET state = %s, response_status = %s, response_body = %s::jsonb"  # noqa: S608
    " WHERE id = %s AND claimed_at = %s"
)
# A refusal whose work was rolled back, claim and all, is stored afresh, unless a duplicate has
# claimed the key meanwhile.
_INSERT_DONE = (
    f"INSERT INTO {_TABLE} (owner, key, fingerprint, state, response_status, response_body, created_at, claimed_at)"  # noqa: S608
    " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s) ON CONFLICT (owner, key) DO NOTHING RETURNING id"
)


def _body(response: Response) -> str:
    return json.dumps(response.data, default=str)


def _store(claim: tuple[int, datetime], response: Response) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_STORE, [IdempotencyKey.State.DONE, response.status_code, _body(response), *claim])


def _free(claim: tuple[int, datetime]) -> None:
    """Delete this request's claim, unless it was taken over, so that the client can retry."""
    IdempotencyKey.objects.filter(pk=claim[0], claimed_at=claim[1], state=IdempotencyKey.State.RUNNING).delete()


def _store_refusal(owner: str, key: str, fingerprint: str, response: Response) -> Response:
    """Store a refusal whose transaction (the claim with it) was rolled back; answer what the key now holds.

    A duplicate that was waiting for this request's claim may have run meanwhile: then its
    stored answer is the key's, and this request answers it too, so every request with the key
    gets the same answer (this request itself wrote nothing).
    """
    now = timezone.now()
    values: list[Any] = [
        owner,
        key,
        fingerprint,
        IdempotencyKey.State.DONE,
        response.status_code,
        _body(response),
        now,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_DONE, values)
        if cursor.fetchone() is not None:
            return response
    record = IdempotencyKey.objects.filter(owner=owner, key=key).first()
    if record is not None and record.fingerprint == fingerprint and record.state == IdempotencyKey.State.DONE:
        return _replay(record)
    return response


class _RequestTransaction(transaction.Atomic):
    """The transaction of an atomic idempotent request: any error in it rolls all of it back."""


def atomic(func: Callable[P, T]) -> Callable[P, T]:
    """`transaction.atomic` for a write that an atomic `@idempotent` view calls.

    Alone (a command, a test, another caller's transaction), the write is atomic as usual: a
    transaction, or a savepoint inside the caller's. Called straight from the view's own
    transaction, it takes no savepoint (two round trips fewer): an error in it rolls the whole
    request back, claim included, which `idempotent` does anyway, as long as the view lets the
    error out rather than catch it.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        blocks = connection.atomic_blocks
        in_request = bool(blocks) and isinstance(blocks[-1], _RequestTransaction)
        with transaction.atomic(savepoint=not in_request):
            return func(*args, **kwargs)

    return wrapper


class _Discard(Exception):
    """How a 5xx answer that the view returned rolls its transaction back."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _run_atomic(
    view: Any, method: Callable[..., Response], request: Request, args: Any, kwargs: Any, claim_of: tuple[str, str, str]
) -> Response:
    """Claim, view and stored response in one transaction, which commits once (see the module's docstring)."""
    claimed = False
    try:
        with _RequestTransaction(using=None, savepoint=True, durable=False):
            # First, before the view locks anything: a duplicate waits here, holding no lock.
            claim = _claim(*claim_of)
            if isinstance(claim, Response):
                return claim
            claimed = True
            response = method(view, request, *args, **kwargs)
            if response.status_code >= 500:
                raise _Discard(response)
            _store(claim, response)
            return response
    except _Discard as discarded:
        return discarded.response  # rolled back: nothing kept, so a retry may succeed
    except (APIException, ApplicationError) as error:
        if not claimed or error.status_code >= 500 or isinstance(error, IdempotencyInProgress):
            raise
        return _store_refusal(*claim_of, view.handle_exception(error))


def idempotent(view_method: Callable[..., Response] | None = None, *, atomic: bool = True) -> Any:
    """Make an APIView method honour a required `Idempotency-Key` header.

    A success, and a refusal the view decided (any 4xx error), is stored and replayed; a 5xx or
    an unexpected error keeps nothing, key included, since nothing was written and a retry may
    succeed.

    By default the key's claim, the view and the stored response are one transaction; the view's
    writes may use `servicekit.idempotency.atomic` so as to add no savepoint of their own. A view
    that calls other services between its own commits (so that a crash never loses what they
    did) uses `@idempotent(atomic=False)`: it must then be safe to run again, because after a
    crash the key is taken over (after IDEMPOTENCY_CLAIM_TIMEOUT) and the request runs once more.
    """
    if view_method is None:
        return functools.partial(idempotent, atomic=atomic)
    method = view_method

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "")
        if not _VALID_KEY.fullmatch(key):
            raise IdempotencyKeyRequired()
        claim_of = (_owner(request), key, _fingerprint(request))
        if atomic:
            return _run_atomic(view, method, request, args, kwargs, claim_of)
        claim = _claim(*claim_of)
        if isinstance(claim, Response):
            return claim
        try:
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
            _free(claim)  # running again is safe
            raise
        _free(claim)
        return response

    return wrapper


def prune_idempotency_keys() -> int:
    """Delete keys older than IDEMPOTENCY_KEY_TTL; return how many."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
