import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from ledger.models import Account, Transaction
from ledger.tests.conftest import ALICE, BOB, client_for
from servicekit.testing import service_client

pytestmark = pytest.mark.django_db

ACCOUNTS = "/bank/api/accounts/"
TRANSFERS = "/bank/api/transfers/"
MOVEMENTS = "/bank/internal/movements/"


def _key() -> str:
    return uuid.uuid4().hex


def _transfer(client: APIClient, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(TRANSFERS, body, format="json", HTTP_IDEMPOTENCY_KEY=key or _key())


def test_a_user_opens_accounts_and_sees_only_their_own(alice: APIClient, bob: APIClient) -> None:
    created = alice.post(ACCOUNTS, {"currency": "EUR"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["balance"] == 0 and body["status"] == "active" and body["owner_id"] == str(ALICE)
    bob.post(ACCOUNTS, {"currency": "USD"}, format="json")
    assert [row["id"] for row in alice.get(ACCOUNTS).json()["results"]] == [body["id"]]
    assert alice.get(f"{ACCOUNTS}{body['id']}/").status_code == 200
    assert bob.get(f"{ACCOUNTS}{body['id']}/").status_code == 404


@pytest.mark.parametrize("currency", ["eur", "XXX", "", 978, None])
def test_opening_an_account_needs_a_supported_currency(alice: APIClient, currency: Any) -> None:
    assert alice.post(ACCOUNTS, {"currency": currency}, format="json").status_code == 400
    assert not Account.objects.exists()


def test_staff_see_every_account_and_filter_by_owner(staff: APIClient, funded: Callable[..., Account]) -> None:
    funded(ALICE), funded(BOB), funded(BOB)
    assert staff.get(ACCOUNTS).json()["count"] == 3
    assert staff.get(ACCOUNTS, {"owner_id": str(BOB)}).json()["count"] == 2
    assert staff.get(ACCOUNTS, {"owner_id": "not-a-uuid"}).status_code == 400


def test_transfer_answers_201_with_the_transaction(alice: APIClient, funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 500), funded(BOB, 0)
    response = _transfer(
        alice, {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 120}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "transfer"
    assert body["postings"] == [{"account_id": str(source.id), "amount": -120, "balance_after": 380}]


def test_a_replayed_transfer_moves_money_once(alice: APIClient, funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 500), funded(BOB, 0)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 100}
    first, again = _transfer(alice, body, "same-key"), _transfer(alice, body, "same-key")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Account.objects.get(pk=target.pk).balance == 100
    changed = _transfer(alice, {**body, "amount": 101}, "same-key")
    assert changed.status_code == 422


def test_a_transfer_without_an_idempotency_key_is_400(alice: APIClient, funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 500), funded(BOB, 0)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 100}
    response = alice.post(TRANSFERS, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert Account.objects.get(pk=target.pk).balance == 0


@pytest.mark.parametrize("amount", [0, -5, 1.5, 10.0, "100", True, None, 100_000_001, [1], {"v": 1}])
def test_bad_amounts_are_400_and_nothing_is_written(
    alice: APIClient, funded: Callable[..., Account], amount: Any
) -> None:
    source, target = funded(ALICE, 500), funded(BOB, 0)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": amount}
    response = _transfer(alice, body)
    assert response.status_code == 400, response.content
    assert "amount" in response.json()["fields"]
    assert not Transaction.objects.filter(kind="transfer").exists()


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("foreign_source", 404, "not_found"),
        ("unknown_target", 404, "not_found"),
        ("same_account", 400, "same_account"),
        ("currency", 400, "currency_mismatch"),
        ("too_much", 409, "insufficient_funds"),
        ("frozen_source", 409, "account_not_active"),
        ("frozen_target", 404, "not_found"),
    ],
)
def test_refused_transfers_say_why_and_write_nothing(
    alice: APIClient, staff: APIClient, funded: Callable[..., Account], case: str, status: int, code: str
) -> None:
    mine, theirs, dollars = funded(ALICE, 500), funded(BOB, 500), funded(BOB, 0, "USD")
    source, target, amount = mine.id, theirs.id, 100
    if case == "foreign_source":
        source, target = theirs.id, mine.id
    elif case == "unknown_target":
        target = uuid.uuid4()
    elif case == "same_account":
        target = mine.id
    elif case == "currency":
        target = dollars.id
    elif case == "too_much":
        amount = 501
    elif case == "frozen_source":
        assert staff.post(f"{ACCOUNTS}{mine.id}/freeze/").status_code == 200
    elif case == "frozen_target":
        assert staff.post(f"{ACCOUNTS}{theirs.id}/freeze/").status_code == 200
    response = _transfer(alice, {"source_account_id": str(source), "target_account_id": str(target), "amount": amount})
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Transaction.objects.filter(kind="transfer").exists()


def test_the_statement_is_newest_first_with_running_balances_and_filters(
    alice: APIClient, funded: Callable[..., Account]
) -> None:
    source, target = funded(ALICE, 1_000), funded(BOB, 0)
    for amount in (100, 200, 300):
        _transfer(alice, {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": amount})
    lines = alice.get(f"{ACCOUNTS}{source.id}/transactions/").json()
    assert lines["count"] == 4
    assert [(line["kind"], line["amount"], line["balance_after"]) for line in lines["results"]] == [
        ("transfer", -300, 400),
        ("transfer", -200, 700),
        ("transfer", -100, 900),
        ("deposit", 1_000, 1_000),
    ]
    deposits = alice.get(f"{ACCOUNTS}{source.id}/transactions/", {"kind": "deposit"}).json()
    assert deposits["count"] == 1
    future = alice.get(f"{ACCOUNTS}{source.id}/transactions/", {"date_from": "2999-01-01"}).json()
    assert future["count"] == 0
    from django.utils import timezone

    today = timezone.now().date().isoformat()
    assert alice.get(f"{ACCOUNTS}{source.id}/transactions/", {"date_to": today}).json()["count"] == 4
    assert alice.get(f"{ACCOUNTS}{source.id}/transactions/", {"date_from": "yesterday"}).status_code == 400
    assert alice.get(f"{ACCOUNTS}{target.id}/transactions/").status_code == 404


def test_deposits_and_withdrawals_are_for_staff(
    alice: APIClient, staff: APIClient, funded: Callable[..., Account]
) -> None:
    account = funded(ALICE, 0)
    body = {"account_id": str(account.id), "amount": 700}
    assert alice.post("/bank/api/deposits/", body, format="json", HTTP_IDEMPOTENCY_KEY=_key()).status_code == 403
    assert staff.post("/bank/api/deposits/", body, format="json", HTTP_IDEMPOTENCY_KEY=_key()).status_code == 201
    withdrawal = {"account_id": str(account.id), "amount": 200}
    assert (
        staff.post("/bank/api/withdrawals/", withdrawal, format="json", HTTP_IDEMPOTENCY_KEY=_key()).status_code == 201
    )
    assert Account.objects.get(pk=account.pk).balance == 500
    too_much = {"account_id": str(account.id), "amount": 501}
    response = staff.post("/bank/api/withdrawals/", too_much, format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert response.status_code == 409


def test_only_staff_freeze_and_close_and_a_closed_account_must_be_empty(
    alice: APIClient, staff: APIClient, funded: Callable[..., Account]
) -> None:
    full, empty = funded(ALICE, 10), funded(ALICE, 0)
    assert alice.post(f"{ACCOUNTS}{empty.id}/freeze/").status_code == 403
    assert staff.post(f"{ACCOUNTS}{full.id}/close/").json()["code"] == "account_not_empty"
    assert staff.post(f"{ACCOUNTS}{empty.id}/close/").json()["status"] == "closed"
    assert staff.post(f"{ACCOUNTS}{empty.id}/unfreeze/").status_code == 409
    assert staff.post(f"{ACCOUNTS}{uuid.uuid4()}/freeze/").status_code == 404


def _service(*scopes: str) -> APIClient:
    return service_client("payments", *scopes)


def test_the_internal_movement_needs_the_bank_transfer_scope(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 1_000)
    body = {"kind": "payment", "account_id": str(account.id), "user_id": str(ALICE), "amount": 250}
    url = MOVEMENTS
    assert _service().post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="p1").status_code == 403
    assert client_for(ALICE).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="p1").status_code == 401
    charged = _service("bank:transfer").post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="payment-1")
    assert charged.status_code == 201
    assert charged.json()["actor_service"] == "payments" and charged.json()["actor_id"] == str(ALICE)
    again = _service("bank:transfer").post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="payment-1")
    assert again.json()["id"] == charged.json()["id"]
    assert Account.objects.get(pk=account.pk).balance == 750


def test_a_service_names_the_currency_and_a_refund_pays_back(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 1_000)
    payments = _service("bank:transfer")
    body = {"kind": "payment", "account_id": str(account.id), "user_id": str(ALICE), "amount": 100}
    charged = payments.post(MOVEMENTS, {**body, "currency": "EUR"}, format="json", HTTP_IDEMPOTENCY_KEY="payment:42")
    assert charged.status_code == 201
    assert len(charged.json()["postings"]) == 2 and sum(p["amount"] for p in charged.json()["postings"]) == 0
    dollars = payments.post(MOVEMENTS, {**body, "currency": "USD"}, format="json", HTTP_IDEMPOTENCY_KEY="payment:44")
    assert dollars.status_code == 400 and dollars.json()["code"] == "currency_mismatch"
    refund = {**body, "kind": "refund", "amount": 30}
    refunded = payments.post(MOVEMENTS, refund, format="json", HTTP_IDEMPOTENCY_KEY="refund:42")
    assert refunded.status_code == 201 and refunded.json()["kind"] == "refund"
    assert Account.objects.get(pk=account.pk).balance == 930
    entry = Transaction.objects.get(id=charged.json()["id"])
    assert (entry.actor_service, entry.actor_id, entry.idempotency_key) == ("payments", ALICE, "payment:42")


def test_the_internal_movement_is_post_only(funded: Callable[..., Account]) -> None:
    payments = _service("bank:transfer")
    assert payments.get(MOVEMENTS, {"idempotency_key": "payment:42"}).status_code == 405
    assert payments.post("/bank/internal/transfers/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 404


def test_a_service_cannot_charge_another_users_account(funded: Callable[..., Account]) -> None:
    account = funded(ALICE, 1_000)
    body = {"kind": "payment", "account_id": str(account.id), "user_id": str(BOB), "amount": 1}
    response = _service("bank:transfer").post(MOVEMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="payment:1")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Account.objects.get(pk=account.pk).balance == 1_000


def test_staff_reverse_a_transfer_once(alice: APIClient, staff: APIClient, funded: Callable[..., Account]) -> None:
    source, target = funded(ALICE, 500), funded(BOB, 0)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 200}
    transfer = _transfer(alice, body).json()
    url = f"/bank/api/transactions/{transfer['id']}/reverse/"
    assert alice.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=_key()).status_code == 403
    reversed_ = staff.post(url, {"description": "sent by mistake"}, format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert reversed_.status_code == 201
    assert reversed_.json()["kind"] == "reversal"
    assert [Account.objects.get(pk=a.pk).balance for a in (source, target)] == [500, 0]
    again = staff.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert again.status_code == 409
    assert again.json()["code"] == "already_reversed"
    missing = staff.post(
        f"/bank/api/transactions/{uuid.uuid4()}/reverse/", {}, format="json", HTTP_IDEMPOTENCY_KEY=_key()
    )
    assert missing.status_code == 404


def test_a_reversal_that_would_overdraw_is_refused(
    alice: APIClient, bob: APIClient, staff: APIClient, funded: Callable[..., Account]
) -> None:
    source, target, third = funded(ALICE, 500), funded(BOB, 0), funded(BOB, 0)
    transfer = _transfer(
        alice, {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 200}
    )
    _transfer(bob, {"source_account_id": str(target.id), "target_account_id": str(third.id), "amount": 200})
    url = f"/bank/api/transactions/{transfer.json()['id']}/reverse/"
    response = staff.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"


def _without_request_id(response: Any) -> tuple[int, dict[str, Any]]:
    body = response.json()
    body.pop("request_id")
    return response.status_code, body


def test_another_customers_frozen_or_closed_account_is_answered_as_a_missing_one(
    alice: APIClient, staff: APIClient, funded: Callable[..., Account]
) -> None:
    source, frozen, closed = funded(ALICE, 500), funded(BOB, 0), funded(BOB, 0)
    assert staff.post(f"{ACCOUNTS}{frozen.id}/freeze/").status_code == 200
    assert staff.post(f"{ACCOUNTS}{closed.id}/close/").status_code == 200
    answers = [
        _without_request_id(
            _transfer(alice, {"source_account_id": str(source.id), "target_account_id": str(target), "amount": 1})
        )
        for target in (uuid.uuid4(), frozen.id, closed.id)
    ]
    assert answers == [(404, {"code": "not_found", "message": "Not found.", "fields": {}})] * 3
    assert not Transaction.objects.filter(kind="transfer").exists()


def test_the_customers_own_frozen_or_closed_accounts_still_say_so(
    alice: APIClient, staff: APIClient, funded: Callable[..., Account]
) -> None:
    source, own_target, theirs = funded(ALICE, 500), funded(ALICE, 0), funded(BOB, 0)
    assert staff.post(f"{ACCOUNTS}{own_target.id}/close/").status_code == 200
    body = {"source_account_id": str(source.id), "target_account_id": str(own_target.id), "amount": 1}
    to_own = _transfer(alice, body)
    assert to_own.status_code == 409 and to_own.json()["code"] == "account_not_active"
    assert staff.post(f"{ACCOUNTS}{source.id}/freeze/").status_code == 200
    from_own = _transfer(alice, {**body, "target_account_id": str(theirs.id)})
    assert from_own.status_code == 409 and from_own.json()["code"] == "account_not_active"
    assert source.number not in from_own.json()["message"]


def test_a_transfer_shows_the_sender_only_their_own_postings_and_replays_the_same(
    alice: APIClient, funded: Callable[..., Account]
) -> None:
    source, target = funded(ALICE, 500), funded(BOB, 7_777)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 100}
    first, again = _transfer(alice, body, "once"), _transfer(alice, body, "once")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert first.json()["postings"] == [{"account_id": str(source.id), "amount": -100, "balance_after": 400}]
    assert str(target.id) not in first.content.decode() and "7877" not in first.content.decode()
    assert Account.objects.get(pk=target.pk).balance == 7_877


def test_a_transfer_between_ones_own_accounts_shows_both_postings(
    alice: APIClient, funded: Callable[..., Account]
) -> None:
    source, target = funded(ALICE, 500), funded(ALICE, 50)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 20}
    response = _transfer(alice, body)
    assert response.status_code == 201
    assert sorted((p["account_id"], p["amount"], p["balance_after"]) for p in response.json()["postings"]) == sorted(
        [(str(source.id), -20, 480), (str(target.id), 20, 70)]
    )


def test_staff_movements_still_show_every_posting(staff: APIClient, funded: Callable[..., Account]) -> None:
    account = funded(BOB, 0)
    body = {"account_id": str(account.id), "amount": 300}
    deposit = staff.post("/bank/api/deposits/", body, format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert deposit.status_code == 201
    postings = deposit.json()["postings"]
    assert len(postings) == 2 and {"account_id": str(account.id), "amount": 300, "balance_after": 300} in postings


def test_a_refused_transfer_is_replayed_even_after_the_balance_changes(
    alice: APIClient, staff: APIClient, funded: Callable[..., Account]
) -> None:
    source, target = funded(ALICE, 100), funded(BOB, 0)
    body = {"source_account_id": str(source.id), "target_account_id": str(target.id), "amount": 150}
    assert _transfer(alice, body, "retry-me").status_code == 409
    staff.post(
        "/bank/api/deposits/", {"account_id": str(source.id), "amount": 100}, format="json", HTTP_IDEMPOTENCY_KEY=_key()
    )
    again = _transfer(alice, body, "retry-me")
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"
    assert Account.objects.get(pk=target.pk).balance == 0


def test_opening_an_account_with_an_idempotency_key_opens_it_once(alice: APIClient, bob: APIClient) -> None:
    first = alice.post(ACCOUNTS, {"currency": "EUR"}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    again = alice.post(ACCOUNTS, {"currency": "EUR"}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Account.objects.filter(owner_id=ALICE).count() == 1
    other_body = alice.post(ACCOUNTS, {"currency": "USD"}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency_key_reused"
    # Keys are the caller's own: Bob's same key opens Bob's account.
    bobs = bob.post(ACCOUNTS, {"currency": "EUR"}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert bobs.status_code == 201 and bobs.json()["owner_id"] == str(BOB)
    assert Account.objects.count() == 2


def test_opening_an_account_without_an_idempotency_key_opens_one_each_time(alice: APIClient) -> None:
    answers = [alice.post(ACCOUNTS, {"currency": "EUR"}, format="json") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [201, 201]
    assert "Idempotent-Replayed" not in answers[1]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert Account.objects.filter(owner_id=ALICE).count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256])
def test_a_malformed_idempotency_key_on_opening_is_400_and_opens_nothing(alice: APIClient, key: str) -> None:
    response = alice.post(ACCOUNTS, {"currency": "EUR"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    assert not Account.objects.exists()


def test_a_refused_opening_with_a_key_is_replayed(alice: APIClient) -> None:
    refused = alice.post(ACCOUNTS, {"currency": "XXX"}, format="json", HTTP_IDEMPOTENCY_KEY="bad-currency")
    again = alice.post(ACCOUNTS, {"currency": "XXX"}, format="json", HTTP_IDEMPOTENCY_KEY="bad-currency")
    assert refused.status_code == again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert not Account.objects.exists()


def test_the_openapi_document_says_opening_takes_an_optional_idempotency_key(api_client: APIClient) -> None:
    document = api_client.get("/bank/api/schema/", {"format": "json"}).json()
    parameters = document["paths"]["/bank/api/accounts/"]["post"]["parameters"]
    key = next(p for p in parameters if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key.get("required", False) is False
    transfer = document["paths"]["/bank/api/transfers/"]["post"]["parameters"]
    assert next(p for p in transfer if p["name"] == "Idempotency-Key")["required"] is True
