"""Accounts: opening one, the system accounts that balance the books, and staff's status changes."""

from __future__ import annotations

import secrets
import uuid

from django.db import IntegrityError, transaction

from ledger import locks
from ledger.errors import AccountNotActive, AccountNotEmpty
from ledger.models import Account
from servicekit.queries import found


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
    existing = Account.objects.filter(kind=Account.Kind.SYSTEM, system_code=code, currency=currency).first()
    if existing is not None:
        return existing  # as nearly always: read without the savepoint that creating it needs
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


def customer_account(account_id: uuid.UUID) -> Account:
    """The customer account `account_id` as it is now (not locked); `NotFound` if there is none."""
    return found(Account.objects.filter(id=account_id, kind=Account.Kind.CUSTOMER))


@transaction.atomic
def account_set_status(*, account_id: uuid.UUID, status: str) -> Account:
    """Staff freeze, unfreeze or close an account; a closed account must be empty and stays closed."""
    account = locks.customer_account_for_status_change(account_id)
    if account.status == Account.Status.CLOSED:
        raise AccountNotActive("The account is closed.")
    if status == Account.Status.CLOSED and account.balance != 0:
        raise AccountNotEmpty()
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    return account
