"""The bank's row locks, each named for what it guards, all on `servicekit.locks`.

Every lock of the bank is taken here, in one order: a movement locks all its accounts at once in
account id order, so two movements over the same accounts queue instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ledger.models import Account, Transaction
from servicekit.locks import lock_all, lock_found


def customer_account_for_status_change(account_id: uuid.UUID) -> Account:
    """The customer account `account_id`, locked (`NotFound` if there is none): its status changes
    while no movement can read its balance."""
    return lock_found(Account.objects.filter(id=account_id, kind=Account.Kind.CUSTOMER))


def accounts_for_movement(account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Account]:
    """Every existing account of `account_ids`, locked in id order, by id (an unknown id is left out)."""
    accounts = lock_all(Account.objects.filter(id__in=set(account_ids)), order_by=("id",))
    return {account.id: account for account in accounts}


def transaction_for_reversal(transaction_id: uuid.UUID) -> Transaction:
    """The transaction `transaction_id`, locked (`NotFound` if there is none): two reversals of it
    queue, and the second sees the first."""
    return lock_found(Transaction.objects.filter(id=transaction_id))
