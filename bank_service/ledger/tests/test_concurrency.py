import itertools
import random
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db.models import Sum

from ledger import errors, services
from ledger.models import Account, Transaction
from ledger.tests.conftest import ALICE
from servicekit.testing import run_concurrently


@pytest.mark.django_db(transaction=True)
def test_hundreds_of_parallel_transfers_keep_the_books_exact(funded: Callable[..., Account]) -> None:
    accounts = [funded(ALICE, 1_000) for _ in range(4)]
    total_before = sum(account.balance for account in accounts)
    seeds = itertools.count()

    def worker() -> Counter[str]:
        chooser = random.Random(next(seeds))
        outcomes: Counter[str] = Counter()
        for _ in range(40):
            source, target = chooser.sample(accounts, 2)
            try:
                services.transfer_create(
                    source_id=source.id,
                    target_id=target.id,
                    amount=chooser.randint(1, 400),
                    actor=services.Actor(user_id=ALICE),
                )
                outcomes["ok"] += 1
            except errors.InsufficientFunds:
                outcomes["refused"] += 1
        return outcomes

    results = run_concurrently(worker, 8, timeout=120)
    assert not [result for result in results if isinstance(result, Exception)]
    outcomes = sum((result for result in results if isinstance(result, Counter)), Counter())
    assert outcomes["ok"] + outcomes["refused"] == 320
    assert outcomes["ok"] == Transaction.objects.filter(kind="transfer").count()
    call_command("verify_ledger")
    balances = Account.objects.filter(kind="customer").aggregate(total=Sum("balance"))["total"]
    assert balances == total_before
    assert not Account.objects.filter(kind="customer", balance__lt=0).exists()
