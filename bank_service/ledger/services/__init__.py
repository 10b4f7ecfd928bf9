"""Writes on the ledger: every movement is one transaction whose postings sum to zero.

By concern: `accounts` (opening, system accounts, status), `movements` (transfers, cash, a
service's charges and refunds), `reversals`, all posted through `journal`. Each takes plain
values and an `Actor`, never a request, and raises the domain's errors (`servicekit.errors`).
"""

from ledger.services.accounts import account_open, account_set_status, system_account
from ledger.services.journal import Actor, Movement
from ledger.services.movements import deposit_create, movement_create, transfer_create, withdrawal_create
from ledger.services.reversals import transaction_reverse

__all__ = [
    "Actor",
    "Movement",
    "account_open",
    "account_set_status",
    "deposit_create",
    "movement_create",
    "system_account",
    "transaction_reverse",
    "transfer_create",
    "withdrawal_create",
]
