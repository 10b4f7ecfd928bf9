"""The bank API: accounts, statements, transfers, and staff deposits and withdrawals."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import selectors, services
from ledger.edge import OPTIONAL_IDEMPOTENCY_KEY, actor, idempotent_when_keyed, movement_answer
from ledger.models import Account
from ledger.serializers import (
    AccountCreateInputSerializer,
    AccountOutputSerializer,
    CashInputSerializer,
    ReverseInputSerializer,
    StatementLineSerializer,
    TransactionWithPostingsSerializer,
    TransferInputSerializer,
    TransferOutputSerializer,
)
from servicekit.api import filtered, paginated, validated
from servicekit.auth import request_user
from servicekit.idempotency import idempotent
from servicekit.permissions import EmailVerified, IsStaff, IsUser
from servicekit.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, errors, filter_parameters, page_of


def _visible(request: Request, account_id: uuid.UUID) -> Account:
    """The account `account_id` if the caller may see it (their own; staff: any); else 404."""
    user = request_user(request)
    return selectors.account_detail(account_id, user_id=user.id, staff=user.is_staff)


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
        user = request_user(request)
        accounts = selectors.account_list(user_id=user.id, staff=user.is_staff)
        accounts = filtered(selectors.AccountFilter, request, accounts)
        return paginated(request, self, accounts, AccountOutputSerializer)

    @extend_schema(
        summary="Open an account",
        tags=["accounts"],
        request=AccountCreateInputSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={201: AccountOutputSerializer, **errors(400, 401, 409, 422)},
        examples=[OpenApiExample("In euros", value={"currency": "EUR"}, request_only=True)],
    )
    @idempotent_when_keyed
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
    def get(self, request: Request, account_id: uuid.UUID) -> Response:
        return Response(AccountOutputSerializer(_visible(request, account_id)).data)


class AccountStatementApi(APIView):
    """The account's statement, newest first, each line with the balance after it."""

    permission_classes = [IsUser]

    @extend_schema(
        summary="An account's statement, newest first",
        tags=["accounts"],
        parameters=[*filter_parameters(selectors.StatementFilter), *PAGE_PARAMETERS],
        responses={200: page_of(StatementLineSerializer), **errors(400, 401, 404)},
    )
    def get(self, request: Request, account_id: uuid.UUID) -> Response:
        lines = filtered(selectors.StatementFilter, request, selectors.statement(_visible(request, account_id)))
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
    def post(self, request: Request, account_id: uuid.UUID) -> Response:
        account = services.account_set_status(account_id=account_id, status=self.target_status)
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
        asked_by = actor(request)
        movement = services.transfer_create(
            source_id=data["source_account_id"],
            target_id=data["target_account_id"],
            amount=data["amount"],
            description=data["description"],
            actor=asked_by,
        )
        # This filtered answer is also what is stored and replayed: the recipient's balance never leaves.
        return movement_answer(movement, postings=movement.postings_of(asked_by.user_id))


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
        return movement_answer(self.operation(**data, actor=actor(request)))


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
    def post(self, request: Request, transaction_id: uuid.UUID) -> Response:
        data = validated(ReverseInputSerializer, request)
        movement = services.transaction_reverse(
            transaction_id=transaction_id, actor=actor(request), description=data["description"]
        )
        return movement_answer(movement)
