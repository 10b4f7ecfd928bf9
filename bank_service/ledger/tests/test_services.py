import uuid
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger import errors, services
from ledger.models import Account, Posting, Transaction
from ledger.tests.conftest import ALICE, BOB
from servicekit.errors import NotFound
from servicekit.testing import run_concurrently

pytestmark = pytest.mark.django_db
AS_ALICE = services.Actor(user_id=ALICE)


def _balances(*accounts: Account) -> list[int]:
    return [Account.objects.get(pk=account.pk).balance for account in accounts]


def test_transfer_moves_money_with_two_postings_that_sum_to_zero(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    movement = services.transfer_create(source_id=source.id, target_id=target.id, amount=250, actor=AS_ALICE)
    assert _balances(source, target) == [750, 250]
    entry = Transaction.objects.get(pk=movement.transaction.pk)
    postings = list(entry.postings.order_by("amount").values_list("amount", "balance_after"))
    assert postings == [(-250, 750), (250, 250)]
    assert entry.kind == Transaction.Kind.TRANSFER and entry.actor_id == ALICE
    assert [(p.amount, p.balance_after) for p in movement.postings] == [(-250, 750), (250, 250)]


def test_transfer_rejects_amount_above_balance(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 100), funded(BOB, 0)
    with pytest.raises(errors.InsufficientFunds):
        services.transfer_create(source_id=source.id, target_id=target.id, amount=101, actor=AS_ALICE)
    assert _balances(source, target) == [100, 0]
    assert not Transaction.objects.filter(kind="transfer").exists()


def test_transfer_rejects_the_same_account(funded: Callable[..., Account]) -> None:
    source = funded()
    with pytest.raises(errors.SameAccount):
        services.transfer_create(source_id=source.id, target_id=source.id, amount=1, actor=AS_ALICE)


def test_transfer_rejects_a_currency_mismatch(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 100, "EUR"), funded(BOB, 0, "USD")
    with pytest.raises(errors.CurrencyMismatch):
        services.transfer_create(source_id=source.id, target_id=target.id, amount=1, actor=AS_ALICE)


def test_transfer_from_someone_elses_account_is_not_found(funded: Callable[..., Account]) -> None:
    bobs, alices = funded(BOB, 100), funded(ALICE, 0)
    with pytest.raises(NotFound):
        services.transfer_create(source_id=bobs.id, target_id=alices.id, amount=1, actor=AS_ALICE)
    with pytest.raises(NotFound):
        services.transfer_create(source_id=alices.id, target_id=uuid.uuid4(), amount=1, actor=AS_ALICE)


def test_transfer_to_a_system_account_is_not_found(funded: Callable[..., Account]) -> None:
    source = funded(ALICE, 100)
    cash = Account.objects.get(kind="system", system_code="external_cash", currency="EUR")
    with pytest.raises(NotFound):
        services.transfer_create(source_id=source.id, target_id=cash.id, amount=1, actor=AS_ALICE)


@pytest.mark.parametrize("status", ["frozen", "closed"])
def test_the_senders_own_frozen_or_closed_accounts_are_refused_as_not_active(
    funded: Callable[..., Account], status: str
) -> None:
    source, own_target = funded(ALICE, 100), funded(ALICE, 0)
    services.account_set_status(account_id=own_target.id, status=status)
    with pytest.raises(errors.AccountNotActive):
        services.transfer_create(source_id=source.id, target_id=own_target.id, amount=1, actor=AS_ALICE)
    services.account_set_status(account_id=source.id, status="frozen")
    with pytest.raises(errors.AccountNotActive):
        services.transfer_create(source_id=source.id, target_id=funded(BOB, 0).id, amount=1, actor=AS_ALICE)


@pytest.mark.parametrize("status", ["frozen", "closed"])
def test_another_users_frozen_or_closed_account_is_not_found(funded: Callable[..., Account], status: str) -> None:
    source, target = funded(ALICE, 100), funded(BOB, 0)
    services.account_set_status(account_id=target.id, status=status)
    with pytest.raises(NotFound):
        services.transfer_create(source_id=source.id, target_id=target.id, amount=1, actor=AS_ALICE)


def test_only_an_empty_account_can_be_closed(funded: Callable[..., Account]) -> None:
    with pytest.raises(errors.AccountNotEmpty):
        services.account_set_status(account_id=funded(ALICE, 1).id, status="closed")


def test_withdrawal_cannot_overdraw(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 50)
    with pytest.raises(errors.InsufficientFunds):
        services.withdrawal_create(account_id=account.id, amount=51, actor=AS_ALICE)
    services.withdrawal_create(account_id=account.id, amount=50, actor=AS_ALICE)
    assert _balances(account) == [0]


def test_the_database_refuses_a_negative_customer_balance(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


def test_the_database_refuses_edits_of_posted_rows(funded: Callable[..., Account]) -> None:
    funded(ALICE, 10)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.update(amount=999)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Transaction.objects.update(description="rewritten history")


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_unbalanced_transaction_at_commit(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 10)

    def unbalanced() -> None:
        with transaction.atomic():
            entry = Transaction.objects.create(kind="deposit")
            Posting.objects.create(transaction=entry, account=account, amount=5, balance_after=15)
            Posting.objects.create(transaction=entry, account=account, amount=-4, balance_after=11)

    with pytest.raises(DatabaseError, match="does not sum to zero"):
        unbalanced()
    assert Transaction.objects.filter(kind="deposit").count() == 1


def test_merchant_payment_and_refund_go_through_merchant_revenue(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 1_000)
    payments = services.Actor(user_id=ALICE, service="payments")
    services.movement_create(kind="payment", account_id=account.id, amount=300, actor=payments)
    refund = services.movement_create(kind="refund", account_id=account.id, amount=100, actor=payments).transaction
    merchant = Account.objects.get(kind="system", system_code="merchant_revenue", currency="EUR")
    assert _balances(account, merchant) == [800, 200]
    assert refund.actor_service == "payments" and refund.actor_id == ALICE


def test_a_service_cannot_charge_an_account_for_someone_else(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 1_000)
    with pytest.raises(NotFound):
        services.movement_create(
            kind="payment", account_id=account.id, amount=1, actor=services.Actor(user_id=BOB, service="payments")
        )


def test_verify_ledger_passes_and_catches_a_wrong_cached_balance(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    services.transfer_create(source_id=source.id, target_id=target.id, amount=5, actor=AS_ALICE)
    call_command("verify_ledger")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 1 WHERE id = %s", [target.id])
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="verification failed"):
        call_command("verify_ledger")


def test_account_numbers_are_readable_and_carry_a_check_digit(funded: Callable[..., Account]) -> None:
    number = funded(ALICE, 0).number.replace("-", "")
    assert len(number) == 11 and number.isdigit()
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if position % 2 == 1 else digit
        total += doubled - 9 if doubled > 9 else doubled
    assert total % 10 == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_reversals_of_one_transaction_give_one_reversal(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    original = services.transfer_create(source_id=source.id, target_id=target.id, amount=100, actor=AS_ALICE)

    def reverse() -> str:
        services.transaction_reverse(transaction_id=original.transaction.id, actor=AS_ALICE)
        return "reversed"

    outcomes = run_concurrently(reverse, 4)
    assert sorted(o if isinstance(o, str) else type(o).__name__ for o in outcomes) == [
        "AlreadyReversed",
        "AlreadyReversed",
        "AlreadyReversed",
        "reversed",
    ]
    assert _balances(source, target) == [1_000, 0]
    call_command("verify_ledger")


def test_money_movements_publish_events_for_the_people_concerned(funded: Callable[..., Account]) -> None:
    from servicekit.models import OutboxEvent

    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    movement = services.transfer_create(
        source_id=source.id, target_id=target.id, amount=250, actor=AS_ALICE, description="rent"
    )
    event = OutboxEvent.objects.get(event_type="transfer.completed")
    assert event.data["transaction_id"] == str(movement.transaction.id) and event.data["amount"] == 250
    assert event.data["source"] == {
        "account_id": str(source.id),
        "account_number": source.number,
        "user_id": str(ALICE),
        "balance_after": 750,
    }
    assert event.data["target"]["user_id"] == str(BOB) and event.data["target"]["balance_after"] == 250
    deposit = OutboxEvent.objects.filter(event_type="deposit.completed", data__user_id=str(ALICE)).get()
    assert deposit.data["amount"] == 1_000 and deposit.data["balance_after"] == 1_000

    with pytest.raises(errors.InsufficientFunds):
        services.transfer_create(source_id=target.id, target_id=source.id, amount=10_000, actor=services.Actor(BOB))
    assert OutboxEvent.objects.filter(event_type="transfer.completed").count() == 1  # a refusal publishes nothing
