"""A transfer request is one transaction: the key's claim, the movement, its event and the stored answer."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from ledger import apis
from ledger.models import Account, Transaction
from ledger.tests.conftest import ALICE, BOB, client_for
from servicekit.models import IdempotencyKey, OutboxEvent
from servicekit.testing import recorded_statements, run_concurrently

TRANSFERS = "/bank/api/transfers/"
# The claim, the accounts locked, the movement (one statement), its event, the stored answer.
STATEMENTS_PER_TRANSFER = 5


def _body(source: Account, target: Account, amount: int = 100) -> dict[str, Any]:
    return {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": amount}


@pytest.mark.django_db(transaction=True)
def test_a_transfer_commits_once_in_a_few_statements(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    alice = client_for(ALICE)
    assert alice.post(TRANSFERS, _body(source, target), format="json", HTTP_IDEMPOTENCY_KEY="warm").status_code == 201
    with recorded_statements() as statements:
        response = alice.post(TRANSFERS, _body(source, target), format="json", HTTP_IDEMPOTENCY_KEY="one")
    assert response.status_code == 201
    assert not statements.autocommitted  # no statement committed on its own
    assert statements.commits == 1
    assert statements.work[0].startswith("INSERT INTO servicekit_idempotencykey")  # before any account lock
    assert not statements.savepoints
    assert len(statements.work) <= STATEMENTS_PER_TRANSFER, statements.work


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_move_money_once_and_all_get_the_same_answer(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    body = _body(source, target, 250)

    def send() -> Any:
        return client_for(ALICE).post(TRANSFERS, body, format="json", HTTP_IDEMPOTENCY_KEY="same")

    answers: list[Any] = run_concurrently(send, 6)
    assert [answer.status_code for answer in answers] == [201] * 6
    assert len({json.dumps(answer.json(), sort_keys=True) for answer in answers}) == 1
    assert sum("Idempotent-Replayed" not in answer for answer in answers) == 1
    assert Transaction.objects.filter(kind="transfer").count() == 1
    assert Account.objects.get(pk=target.pk).balance == 250
    assert OutboxEvent.objects.filter(event_type="transfer.completed").count() == 1
    call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_the_movement_keeps_neither_the_movement_nor_the_key(
    funded: Callable[..., Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    alice = client_for(ALICE)
    alice.raise_request_exception = False

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the worker died after the movement")

    monkeypatch.setattr(apis, "movement_answer", crash)
    assert alice.post(TRANSFERS, _body(source, target), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 500
    assert not Transaction.objects.filter(kind="transfer").exists()
    assert not OutboxEvent.objects.filter(event_type="transfer.completed").exists()
    assert not IdempotencyKey.objects.exists()  # no claim left behind to wait for
    assert Account.objects.get(pk=source.pk).balance == 1_000
    monkeypatch.undo()
    retry = alice.post(TRANSFERS, _body(source, target), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert Account.objects.get(pk=target.pk).balance == 100


@pytest.mark.django_db(transaction=True)
def test_a_refused_transfer_is_stored_and_writes_nothing(funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 50), funded(BOB, 0)
    alice = client_for(ALICE)
    refused = alice.post(TRANSFERS, _body(source, target), format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds"
    assert not Transaction.objects.filter(kind="transfer").exists()
    assert IdempotencyKey.objects.get(key="r").response_status == 409
    again = alice.post(TRANSFERS, _body(source, target), format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert again.json() == refused.json() and again["Idempotent-Replayed"] == "true"
