import random
import threading
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from ledger import errors, services
from ledger.models import Account, Transaction
from ledger.tests.conftest import ALICE


@pytest.mark.django_db(transaction=True)
def test_hundreds_of_parallel_transfers_keep_the_books_exact(funded: Callable[..., Account]) -> None:
    accounts = [funded(ALICE, 1_000) for _ in range(4)]
    total_before = sum(account.balance for account in accounts)
    outcomes = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def worker(seed: int) -> None:
        chooser = random.Random(seed)
        try:
            for _ in range(40):
                source, target = chooser.sample(accounts, 2)
                try:
                    services.transfer_create(
                        source_id=source.id,
                        target_id=target.id,
                        amount=chooser.randint(1, 400),
                        actor=services.Actor(user_id=ALICE),
                    )
                    result = "ok"
                except errors.InsufficientFunds:
                    result = "refused"
                with lock:
                    outcomes[result] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes["ok"] + outcomes["refused"] == 320
    assert outcomes["ok"] == Transaction.objects.filter(kind="transfer").count()
    call_command("verify_ledger")
    balances = Account.objects.filter(kind="customer").aggregate(total=Sum("balance"))["total"]
    assert balances == total_before
    assert not Account.objects.filter(kind="customer", balance__lt=0).exists()
