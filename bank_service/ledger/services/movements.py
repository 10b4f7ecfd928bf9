"""Movements of money: customers' transfers, staff's cash in and out, and a service's charges and refunds."""

from __future__ import annotations

import uuid

from ledger.errors import CurrencyMismatch, SameAccount
from ledger.models import Account, Transaction
from ledger.services.accounts import customer_account, system_account
from ledger.services.journal import Actor, Movement, post, side
from servicekit.errors import NotFound
from servicekit.events import publish_event
from servicekit.idempotency import atomic


@atomic
def transfer_create(
    *, source_id: uuid.UUID, target_id: uuid.UUID, amount: int, actor: Actor, description: str = ""
) -> Movement:
    """Move money between two customer accounts of one currency; the actor must own the source."""
    if source_id == target_id:
        raise SameAccount()
    movement = post(
        kind=Transaction.Kind.TRANSFER,
        legs=[(source_id, -amount), (target_id, amount)],
        actor=actor,
        description=description,
        owner_of=source_id,
        customers_only=True,
    )
    source, target = movement.postings
    publish_event(
        "transfer.completed",
        {
            "transaction_id": str(movement.transaction.id),
            "amount": amount,
            "currency": source.account.currency,
            "description": description,
            "source": side(source),
            "target": side(target),
        },
    )
    return movement


def _cash_movement(*, kind: str, account_id: uuid.UUID, amount: int, actor: Actor, description: str) -> Movement:
    account = customer_account(account_id)
    cash = system_account(code=Account.SystemCode.EXTERNAL_CASH, currency=account.currency)
    into_account = kind == Transaction.Kind.DEPOSIT
    legs = [(cash.id, -amount), (account.id, amount)] if into_account else [(account.id, -amount), (cash.id, amount)]
    movement = post(kind=kind, legs=legs, actor=actor, description=description)
    publish_event(
        f"{kind}.completed",
        {
            "transaction_id": str(movement.transaction.id),
            "amount": amount,
            "currency": account.currency,
            **side(movement.posting_on(account.id)),
        },
    )
    return movement


@atomic
def deposit_create(*, account_id: uuid.UUID, amount: int, actor: Actor, description: str = "") -> Movement:
    """Staff put cash into an account: external cash is debited, the account credited."""
    return _cash_movement(
        kind=Transaction.Kind.DEPOSIT, account_id=account_id, amount=amount, actor=actor, description=description
    )


@atomic
def withdrawal_create(*, account_id: uuid.UUID, amount: int, actor: Actor, description: str = "") -> Movement:
    """Staff pay cash out of an account: the account is debited, external cash credited."""
    return _cash_movement(
        kind=Transaction.Kind.WITHDRAWAL, account_id=account_id, amount=amount, actor=actor, description=description
    )


@atomic
def movement_create(
    *,
    kind: str,
    account_id: uuid.UUID,
    amount: int,
    actor: Actor,
    currency: str | None = None,
    description: str = "",
) -> Movement:
    """A service, for a user (the actor's), charges the user's account to merchant revenue (payment)
    or pays it back from there (refund).

    `currency`, when given, must be the account's: an order in euros is never paid from a dollar account.
    """
    account = customer_account(account_id)
    if account.owner_id != actor.user_id:
        raise NotFound()
    if currency is not None and currency != account.currency:
        raise CurrencyMismatch(f"The account holds {account.currency}, not {currency}.")
    merchant = system_account(code=Account.SystemCode.MERCHANT_REVENUE, currency=account.currency)
    legs = [(account.id, -amount), (merchant.id, amount)]
    if kind == Transaction.Kind.REFUND:
        legs = [(merchant.id, -amount), (account.id, amount)]
    return post(kind=kind, legs=legs, actor=actor, description=description)
