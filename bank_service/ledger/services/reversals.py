"""Reversals: the only correction of the append-only journal, the exact opposite of a transaction."""

from __future__ import annotations

import uuid

from ledger import locks
from ledger.errors import AlreadyReversed
from ledger.models import Transaction
from ledger.services.journal import Actor, Movement, post
from servicekit.idempotency import atomic


@atomic
def transaction_reverse(*, transaction_id: uuid.UUID, actor: Actor, description: str = "") -> Movement:
    """Staff correct a mistake: post the exact opposite of a transaction, which stays as it was."""
    original = locks.transaction_for_reversal(transaction_id)
    if original.kind == Transaction.Kind.REVERSAL or Transaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed()
    return post(
        kind=Transaction.Kind.REVERSAL,
        legs=[(posting.account_id, -posting.amount) for posting in original.postings.all()],
        actor=actor,
        description=description or f"Reversal of {original.id}",
        reverses=original,
    )
