"""The bank API: accounts, statements, transfers, and staff deposits and withdrawals."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import selectors, services
from ledger.models import Account, Posting, Transaction
from ledger.serializers import (
    AccountCreateInputSerializer,
    AccountOutputSerializer,
    CashInputSerializer,
    MerchantMovementInputSerializer,
    PostingOutputSerializer,
    ReverseInputSerializer,
    StatementLineSerializer,
    TransactionOutputSerializer,
    TransactionWithPostingsSerializer,
    TransferInputSerializer,
    TransferOutputSerializer,
)
from servicekit.api import filtered, paginated, validated
from servicekit.auth import ServiceTokenAuthentication, request_user
from servicekit.idempotency import idempotent
from servicekit.permissions import EmailVerified, HasScope, IsStaff, IsUser
from servicekit.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, errors, filter_parameters, page_of


def _actor(request: Request) -> services.Actor:
    return services.Actor(user_id=request_user(request).id)


def _created(
    entry: Transaction, *, status_code: int = status.HTTP_201_CREATED, postings: list[Posting] | None = None
) -> Response:
    body = TransactionOutputSerializer(entry).data
    shown: Any = entry.posted if postings is None else postings  # type: ignore[attr-defined]
    body["postings"] = PostingOutputSerializer(shown, many=True).data
    return Response(body, status=status_code)


class AccountListCreateApi(APIView):
    """The caller's accounts (staff: all, `?owner_id=`), and opening a new one."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="Your accounts (staff: all, `?owner_id=`)",
        tags=["accounts"],
        operation_id="accounts_list",
        parameters=[*filter_parameters(selectors.AccountFilter), *PAGE_PARAMETERS],
        responses={200: page_of(AccountOutputSerializer), **errors(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        accounts = filtered(selectors.AccountFilter, request, selectors.account_list(request))
        return paginated(request, self, accounts, AccountOutputSerializer)

    @extend_schema(
        summary="Open an account",
        tags=["accounts"],
        request=AccountCreateInputSerializer,
        responses={201: AccountOutputSerializer, **errors(400, 401)},
        examples=[OpenApiExample("In euros", value={"currency": "EUR"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = validated(AccountCreateInputSerializer, request)
        account = services.account_open(owner_id=request_user(request).id, currency=data["currency"])
        return Response(AccountOutputSerializer(account).data, status=status.HTTP_201_CREATED)


class AccountDetailApi(APIView):
    """One account of the caller's (staff: any); anyone else's is not found."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="One of your accounts",
        tags=["accounts"],
        operation_id="accounts_retrieve",
        responses={200: AccountOutputSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, account_id: str) -> Response:
        account = get_object_or_404(selectors.account_list(request), id=account_id)
        return Response(AccountOutputSerializer(account).data)


class AccountStatementApi(APIView):
    """The account's statement, newest first, each line with the balance after it."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="An account's statement, newest first",
        tags=["accounts"],
        parameters=[*filter_parameters(selectors.StatementFilter), *PAGE_PARAMETERS],
        responses={200: page_of(StatementLineSerializer), **errors(400, 401, 404)},
    )
    def get(self, request: Request, account_id: str) -> Response:
        account = get_object_or_404(selectors.account_list(request), id=account_id)
        lines = filtered(selectors.StatementFilter, request, selectors.statement(account))
        return paginated(request, self, lines, StatementLineSerializer)


class AccountStatusApi(APIView):
    """Staff freeze, unfreeze or close an account."""

    permission_classes = [IsStaff]
    target_status = Account.Status.FROZEN

    @extend_schema(
        summary="Freeze, unfreeze or close an account (staff)",
        tags=["accounts"],
        request=None,
        responses={200: AccountOutputSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, account_id: str) -> Response:
        account = services.account_set_status(account_id=account_id, status=self.target_status)  # type: ignore[arg-type]
        return Response(AccountOutputSerializer(account).data)


class TransferCreateApi(APIView):
    """Move money from one of the caller's accounts to another account of the same currency."""

    permission_classes = [EmailVerified]

    @extend_schema(
        summary="Transfer money from one of your accounts",
        description="Answers the transaction with your own side only: the postings on your own accounts, each "
        "with its balance after. A target account that does not exist, is not a customer account, or is someone "
        "else's and frozen or closed is the same 404 `not_found`; your own frozen or closed account is a 409 "
        "`account_not_active`.",
        tags=["money"],
        request=TransferInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: TransferOutputSerializer, **errors(400, 401, 403, 404, 409, 422)},
        examples=[
            OpenApiExample(
                "12.50 to a friend",
                value={
                    "source_account_id": "3f0b6a57-6a3e-4b5b-9a44-0f6d2f8b8c11",
                    "target_account_id": "9c1d2e3f-4a5b-4c6d-8e7f-a1b2c3d4e5f6",
                    "amount": 1250,
                    "description": "rent",
                },
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(TransferInputSerializer, request)
        entry = services.transfer_create(
            source_id=data["source_account_id"],
            target_id=data["target_account_id"],
            amount=data["amount"],
            description=data["description"],
            actor=_actor(request),
            idempotency_key=request.headers["Idempotency-Key"],
        )
        # This filtered answer is also what is stored and replayed: the recipient's balance never leaves.
        return _created(entry, postings=selectors.own_postings(entry, owner_id=request_user(request).id))


class DepositCreateApi(APIView):
    """Staff put cash into an account."""

    permission_classes = [IsStaff]
    operation = staticmethod(services.deposit_create)

    @extend_schema(
        summary="Deposit or withdraw cash (staff)",
        tags=["money"],
        request=CashInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: TransactionWithPostingsSerializer, **errors(400, 401, 403, 404, 409, 422)},
        examples=[
            OpenApiExample(
                "100.00 in cash",
                value={"account_id": "3f0b6a57-6a3e-4b5b-9a44-0f6d2f8b8c11", "amount": 10000},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(CashInputSerializer, request)
        entry = self.operation(**data, actor=_actor(request), idempotency_key=request.headers["Idempotency-Key"])
        return _created(entry)


class WithdrawalCreateApi(DepositCreateApi):
    """Staff pay cash out of an account."""

    operation = staticmethod(services.withdrawal_create)


class TransactionReverseApi(APIView):
    """Staff reverse a transaction (the only way to correct the append-only ledger)."""

    permission_classes = [IsStaff]

    @extend_schema(
        summary="Reverse a transaction (staff)",
        tags=["money"],
        request=ReverseInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: TransactionWithPostingsSerializer, **errors(400, 401, 403, 404, 409, 422)},
        examples=[OpenApiExample("A mistake", value={"description": "posted twice by mistake"}, request_only=True)],
    )
    @idempotent
    def post(self, request: Request, transaction_id: str) -> Response:
        data = validated(ReverseInputSerializer, request)
        entry = services.transaction_reverse(
            transaction_id=transaction_id,  # type: ignore[arg-type]
            actor=_actor(request),
            description=data["description"],
            idempotency_key=request.headers["Idempotency-Key"],
        )
        return _created(entry)


class MerchantMovementApi(APIView):
    """Internal: a service (scope bank:transfer) charges a user's account or refunds it; or looks up,
    by `?idempotency_key=`, the movement it made with that key (404 if none was made)."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope("bank:transfer")]

    def get(self, request: Request) -> Response:
        key = request.query_params.get("idempotency_key", "")
        if not key:
            raise ValidationError({"idempotency_key": ["This query parameter is required."]})
        entry = selectors.service_transaction(service=request.user.client_id, idempotency_key=key)  # type: ignore[union-attr]
        if entry is None:
            raise Http404
        entry.posted = list(entry.postings.all())  # type: ignore[attr-defined]
        return _created(entry, status_code=status.HTTP_200_OK)

    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(MerchantMovementInputSerializer, request)
        entry = services.merchant_movement_create(
            **data,
            service=request.user.client_id,  # type: ignore[union-attr]
            idempotency_key=request.headers["Idempotency-Key"],
        )
        return _created(entry)
