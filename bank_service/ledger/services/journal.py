"""Posting to the journal: one transaction whose postings sum to zero, with the balances it leaves.

Every movement of money (transfers, cash, a service's charges and refunds, reversals) is posted
here, and only here, with its accounts locked by `ledger.locks.accounts_for_movement`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection

from ledger.errors import AccountNotActive, CurrencyMismatch, InsufficientFunds
from ledger.locks import accounts_for_movement
from ledger.models import Account, Posting, Transaction
from servicekit.errors import NotFound


@dataclass(frozen=True)
class Actor:
    """Who asked for a movement (a user, or a service acting for a user) and under which Idempotency-Key.

    The key is the actor's own (servicekit scopes every key to its caller); the transaction
    records all three, so a movement says who made it and which request it answered.
    """

    user_id: uuid.UUID | None
    service: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class Movement:
    """A transaction just posted and its postings as written, each with its account and the balance
    after it: what the caller answers and publishes without reading anything back."""

    transaction: Transaction
    postings: tuple[Posting, ...]

    def posting_on(self, account_id: uuid.UUID) -> Posting:
        """This movement's posting on the account `account_id`."""
        return next(posting for posting in self.postings if posting.account_id == account_id)

    def postings_of(self, owner_id: uuid.UUID | None) -> list[Posting]:
        """The postings on accounts `owner_id` owns: all of a movement a customer may see."""
        return [posting for posting in self.postings if posting.account.owner_id == owner_id]


def side(posting: Posting) -> dict[str, Any]:
    """One account's part in a movement, as events describe it."""
    return {
        "account_id": str(posting.account.id),
        "account_number": posting.account.number,
        "user_id": str(posting.account.owner_id),
        "balance_after": posting.balance_after,
    }


_WRITE = f"""
WITH entry AS (
    INSERT INTO {Transaction._meta.db_table}
        (id, kind, description, actor_id, actor_service, idempotency_key, reverses_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
), balances AS (
    UPDATE {Account._meta.db_table} AS account SET balance = moved.balance, updated_at = %s
    FROM unnest(%s::uuid[], %s::bigint[]) AS moved (id, balance)
    WHERE account.id = moved.id
)
INSERT INTO {Posting._meta.db_table} (transaction_id, account_id, amount, balance_after, created_at)
SELECT %s, leg.account_id, leg.amount, leg.balance_after, %s
FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[]) AS leg (account_id, amount, balance_after)
"""  # noqa: S608 - fixed table names, every value a parameter


def _write(entry: Transaction, postings: list[Posting], accounts: list[Account]) -> None:
    """Insert the transaction and its postings and store the new balances, in one statement.

    The hottest write of the bank: one round trip instead of four. The accounts are locked by
    the caller; the database still checks every constraint and the zero sum at commit.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _WRITE,
            [
                entry.id,
                entry.kind,
                entry.description,
                entry.actor_id,
                entry.actor_service,
                entry.idempotency_key,
                entry.reverses_id,
                entry.created_at,
                entry.created_at,
                [account.id for account in accounts],
                [account.balance for account in accounts],
                entry.id,
                entry.created_at,
                [posting.account_id for posting in postings],
                [posting.amount for posting in postings],
                [posting.balance_after for posting in postings],
            ],
        )
    entry._state.adding = False
    entry._state.db = connection.alias


def _check(
    accounts: dict[uuid.UUID, Account],
    legs: list[tuple[uuid.UUID, int]],
    *,
    actor: Actor,
    owner_of: uuid.UUID | None,
    customers_only: bool,
) -> None:
    """Refuse a movement the locked accounts cannot take; see `post`."""
    if len(accounts) != len({account_id for account_id, _ in legs}):
        raise NotFound()
    if owner_of is not None and accounts[owner_of].owner_id != actor.user_id:
        raise NotFound()
    if owner_of is not None and any(
        account.owner_id != actor.user_id and account.status != Account.Status.ACTIVE for account in accounts.values()
    ):
        # A customer must not learn that someone else's account is frozen or closed: to them it is
        # answered exactly as an account that does not exist (the same 404, code and message).
        raise NotFound()
    if customers_only and any(account.kind != Account.Kind.CUSTOMER for account in accounts.values()):
        raise NotFound()
    if len({account.currency for account in accounts.values()}) != 1:
        raise CurrencyMismatch()
    for account_id, amount in legs:
        account = accounts[account_id]
        if account.status != Account.Status.ACTIVE:
            raise AccountNotActive()  # the actor's own account, or staff's and services' movements
        if account.kind == Account.Kind.CUSTOMER and account.balance + amount < 0:
            raise InsufficientFunds()


def post(
    *,
    kind: str,
    legs: list[tuple[uuid.UUID, int]],
    actor: Actor,
    description: str,
    owner_of: uuid.UUID | None = None,
    customers_only: bool = False,
    reverses: Transaction | None = None,
) -> Movement:
    """Lock the accounts, check them, write the transaction and its postings, update balances.

    Must run inside a transaction. `owner_of` is the account (the first leg's) that must belong
    to the actor's user; then any other unknown account, and another user's frozen or closed
    one, is simply not found (`NotFound`).
    """
    if sum(amount for _, amount in legs) != 0:
        raise ValueError("postings must sum to zero")
    accounts = accounts_for_movement(account_id for account_id, _ in legs)
    _check(accounts, legs, actor=actor, owner_of=owner_of, customers_only=customers_only)
    entry = Transaction(
        kind=kind,
        description=description,
        actor_id=actor.user_id,
        actor_service=actor.service,
        idempotency_key=actor.idempotency_key,
        reverses=reverses,
    )
    postings = []
    for account_id, amount in legs:
        account = accounts[account_id]
        account.balance += amount
        postings.append(
            Posting(
                transaction=entry,
                account=account,
                amount=amount,
                balance_after=account.balance,
                created_at=entry.created_at,
            )
        )
    _write(entry, postings, list(accounts.values()))
    return Movement(entry, tuple(postings))
