"""Writes on the ledger: every movement is one transaction whose postings sum to zero."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import Http404

from ledger.errors import (
    AccountNotActive,
    AccountNotEmpty,
    AlreadyReversed,
    CurrencyMismatch,
    InsufficientFunds,
    SameAccount,
)
from ledger.models import Account, Posting, Transaction
from servicekit.events import publish_event


@dataclass(frozen=True)
class Actor:
    """Who asked for a movement: a user, or a service acting for a user."""

    user_id: uuid.UUID | None
    service: str = ""


def _account_number() -> str:
    """Ten random digits and a Luhn check digit, grouped for reading: 4213-5678-901."""
    digits = [secrets.randbelow(10) for _ in range(10)]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    number = "".join(map(str, digits)) + str((10 - total % 10) % 10)
    return f"{number[:4]}-{number[4:8]}-{number[8:]}"


def account_open(*, owner_id: uuid.UUID, currency: str) -> Account:
    """Open an empty active account for a user."""
    for _ in range(5):
        try:
            with transaction.atomic():
                return Account.objects.create(owner_id=owner_id, currency=currency, number=_account_number())
        except IntegrityError:
            continue  # an account number collided: draw another
    raise RuntimeError("could not draw a free account number")


def system_account(*, code: str, currency: str) -> Account:
    """The system account for `code` and `currency`, created the first time it is needed."""
    try:
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(
                kind=Account.Kind.SYSTEM,
                system_code=code,
                currency=currency,
                defaults={"number": f"SYS-{code.upper()}-{currency}"},
            )
            return account
    except IntegrityError:
        return Account.objects.get(kind=Account.Kind.SYSTEM, system_code=code, currency=currency)


@transaction.atomic
def account_set_status(*, account_id: uuid.UUID, status: str) -> Account:
    """Staff freeze, unfreeze or close an account; a closed account must be empty and stays closed."""
    account = Account.objects.select_for_update().filter(id=account_id, kind=Account.Kind.CUSTOMER).first()
    if account is None:
        raise Http404
    if account.status == Account.Status.CLOSED:
        raise AccountNotActive("The account is closed.")
    if status == Account.Status.CLOSED and account.balance != 0:
        raise AccountNotEmpty()
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    return account


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


def _post(
    *,
    kind: str,
    legs: list[tuple[uuid.UUID, int]],
    actor: Actor,
    description: str,
    idempotency_key: str,
    owner_of: uuid.UUID | None = None,
    customers_only: bool = False,
    reverses: Transaction | None = None,
) -> Transaction:
    """Lock the accounts, check them, write the transaction and its postings, update balances.

    Must run inside a transaction. `owner_of` is the account (the first leg's) that must belong
    to the actor's user; then any other unknown account, and another user's frozen or closed
    one, is simply not found.
    """
    if sum(amount for _, amount in legs) != 0:
        raise ValueError("postings must sum to zero")
    ids = sorted({account_id for account_id, _ in legs})
    # Lock in one fixed order (by id), so two movements over the same accounts can never deadlock.
    accounts = {
        account.id: account for account in Account.objects.select_for_update().filter(id__in=ids).order_by("id")
    }
    if len(accounts) != len(ids):
        raise Http404
    if owner_of is not None and accounts[owner_of].owner_id != actor.user_id:
        raise Http404
    if owner_of is not None and any(
        account.owner_id != actor.user_id and account.status != Account.Status.ACTIVE for account in accounts.values()
    ):
        # A customer must not learn that someone else's account is frozen or closed: to them it is
        # answered exactly as an account that does not exist (the same 404, code and message).
        raise Http404
    if customers_only and any(account.kind != Account.Kind.CUSTOMER for account in accounts.values()):
        raise Http404
    if len({account.currency for account in accounts.values()}) != 1:
        raise CurrencyMismatch()
    for account_id, amount in legs:
        account = accounts[account_id]
        if account.status != Account.Status.ACTIVE:
            raise AccountNotActive()  # the actor's own account, or staff's and services' movements
        if account.kind == Account.Kind.CUSTOMER and account.balance + amount < 0:
            raise InsufficientFunds()
    entry = Transaction(
        kind=kind,
        description=description,
        actor_id=actor.user_id,
        actor_service=actor.service,
        idempotency_key=idempotency_key,
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
    entry.posted = postings  # type: ignore[attr-defined]  # the caller answers without reading them back
    return entry


@transaction.atomic
def transfer_create(
    *,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    amount: int,
    actor: Actor,
    description: str = "",
    idempotency_key: str = "",
) -> Transaction:
    """Move money between two customer accounts of one currency; the actor must own the source."""
    if source_id == target_id:
        raise SameAccount()
    entry = _post(
        kind=Transaction.Kind.TRANSFER,
        legs=[(source_id, -amount), (target_id, amount)],
        actor=actor,
        description=description,
        idempotency_key=idempotency_key,
        owner_of=source_id,
        customers_only=True,
    )
    source, target = entry.posted  # type: ignore[attr-defined]
    publish_event(
        "transfer.completed",
        {
            "transaction_id": str(entry.id),
            "amount": amount,
            "currency": source.account.currency,
            "description": description,
            "source": _side(source),
            "target": _side(target),
        },
    )
    return entry


def _side(posting: Posting) -> dict[str, Any]:
    """One account's part in a movement, as events describe it."""
    return {
        "account_id": str(posting.account.id),
        "account_number": posting.account.number,
        "user_id": str(posting.account.owner_id),
        "balance_after": posting.balance_after,
    }


def _customer_account(account_id: uuid.UUID) -> Account:
    account = Account.objects.filter(id=account_id, kind=Account.Kind.CUSTOMER).first()
    if account is None:
        raise Http404
    return account


def _cash_movement(
    *, kind: str, account_id: uuid.UUID, amount: int, actor: Actor, description: str, idempotency_key: str
) -> Transaction:
    account = _customer_account(account_id)
    cash = system_account(code=Account.SystemCode.EXTERNAL_CASH, currency=account.currency)
    into_account = kind == Transaction.Kind.DEPOSIT
    legs = [(cash.id, -amount), (account.id, amount)] if into_account else [(account.id, -amount), (cash.id, amount)]
    entry = _post(kind=kind, legs=legs, actor=actor, description=description, idempotency_key=idempotency_key)
    customer = next(posting for posting in entry.posted if posting.account_id == account.id)  # type: ignore[attr-defined]
    publish_event(
        f"{kind}.completed",
        {"transaction_id": str(entry.id), "amount": amount, "currency": account.currency, **_side(customer)},
    )
    return entry


@transaction.atomic
def deposit_create(
    *, account_id: uuid.UUID, amount: int, actor: Actor, description: str = "", idempotency_key: str = ""
) -> Transaction:
    """Staff put cash into an account: external cash is debited, the account credited."""
    return _cash_movement(
        kind=Transaction.Kind.DEPOSIT,
        account_id=account_id,
        amount=amount,
        actor=actor,
        description=description,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def withdrawal_create(
    *, account_id: uuid.UUID, amount: int, actor: Actor, description: str = "", idempotency_key: str = ""
) -> Transaction:
    """Staff pay cash out of an account: the account is debited, external cash credited."""
    return _cash_movement(
        kind=Transaction.Kind.WITHDRAWAL,
        account_id=account_id,
        amount=amount,
        actor=actor,
        description=description,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def merchant_movement_create(
    *,
    kind: str,
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    amount: int,
    service: str,
    currency: str | None = None,
    description: str = "",
    idempotency_key: str = "",
) -> Transaction:
    """A service, for a user, charges the user's account to merchant revenue (payment) or back (refund).

    `currency`, when given, must be the account's: an order in euros is never paid from a dollar account.
    """
    account = _customer_account(account_id)
    if account.owner_id != user_id:
        raise Http404
    if currency is not None and currency != account.currency:
        raise CurrencyMismatch(f"The account holds {account.currency}, not {currency}.")
    merchant = system_account(code=Account.SystemCode.MERCHANT_REVENUE, currency=account.currency)
    legs = [(account.id, -amount), (merchant.id, amount)]
    if kind == Transaction.Kind.REFUND:
        legs = [(merchant.id, -amount), (account.id, amount)]
    return _post(
        kind=kind,
        legs=legs,
        actor=Actor(user_id=user_id, service=service),
        description=description,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def transaction_reverse(
    *, transaction_id: uuid.UUID, actor: Actor, description: str = "", idempotency_key: str = ""
) -> Transaction:
    """Staff correct a mistake: post the exact opposite of a transaction, which stays as it was."""
    # Locking the original makes two concurrent reversals of it queue; the second sees the first.
    original = Transaction.objects.select_for_update().filter(id=transaction_id).first()
    if original is None:
        raise Http404
    if original.kind == Transaction.Kind.REVERSAL or Transaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed()
    return _post(
        kind=Transaction.Kind.REVERSAL,
        legs=[(posting.account_id, -posting.amount) for posting in original.postings.all()],
        actor=actor,
        description=description or f"Reversal of {original.id}",
        idempotency_key=idempotency_key,
        reverses=original,
    )
