import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from payments.models import Payment
from payments.tests.conftest import Bank
from servicekit.models import OutboxEvent
from servicekit.stubs import JsonServer
from servicekit.testing import run_concurrently, service_client, user_client

CHARGE = "/payments/internal/payments/"
ALICE = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")


def _attempt(**fields: Any) -> dict[str, Any]:
    body = {
        "payment_id": str(uuid.uuid4()),
        "order_id": str(uuid.uuid4()),
        "user_id": str(ALICE),
        "account_id": str(uuid.uuid4()),
        "amount": 2500,
        "currency": "EUR",
    }
    body.update(fields)
    return body


@pytest.fixture
def orders() -> APIClient:
    return service_client("orders", "payments:charge")


@pytest.mark.django_db
def test_a_charge_moves_money_once_keyed_by_the_payment(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    stub, server = bank
    attempt = _attempt()
    first = orders.post(CHARGE, attempt, format="json")
    assert first.status_code == 201 and first.json()["status"] == "succeeded"
    request = server.received[-1]
    assert request.headers["Idempotency-Key"] == f"payment:{attempt['payment_id']}"
    assert request.headers["Authorization"] == "Bearer test-service-token"
    assert request.body == {
        "kind": "payment",
        "account_id": attempt["account_id"],
        "user_id": str(ALICE),
        "amount": 2500,
        "currency": "EUR",
        "description": f"Order {attempt['order_id']}",
    }
    again = orders.post(CHARGE, attempt, format="json")
    assert again.status_code == 200 and again.json()["bank_transaction_id"] == first.json()["bank_transaction_id"]
    assert stub.posts == 1
    assert OutboxEvent.objects.get().event_type == "payment.succeeded"


@pytest.mark.django_db
def test_a_refused_charge_fails_with_the_banks_reason(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    stub, _ = bank
    stub.refuse = (409, "insufficient_funds", "The account's balance is too low for this amount.")
    payment = orders.post(CHARGE, _attempt(), format="json").json()
    assert payment["status"] == "failed" and payment["failure_code"] == "insufficient_funds"
    assert payment["failure_reason"].startswith("The account's balance is too low")
    assert OutboxEvent.objects.get().event_type == "payment.failed"


@pytest.mark.django_db
def test_the_bank_down_is_a_503_and_the_payment_waits(orders: APIClient, settings: Any, service_identity: Any) -> None:
    settings.BANK_INTERNAL_URL = "http://127.0.0.1:1"
    attempt = _attempt()
    response = orders.post(CHARGE, attempt, format="json")
    assert response.status_code == 503 and response.json()["code"] == "service_unavailable"
    assert Payment.objects.get(id=attempt["payment_id"]).status == "pending"


@pytest.mark.django_db
def test_a_slow_bank_is_a_504_and_a_retry_finishes_without_charging_twice(
    orders: APIClient, bank: tuple[Bank, JsonServer], settings: Any
) -> None:
    stub, _ = bank
    settings.SERVICE_READ_TIMEOUT = 0.3
    stub.delay = 0.6  # the bank does the work but answers too late
    attempt = _attempt()
    assert orders.post(CHARGE, attempt, format="json").status_code == 504
    assert Payment.objects.get(id=attempt["payment_id"]).status == "pending"
    stub.delay = 0
    retried = orders.post(CHARGE, attempt, format="json")
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded"
    assert len(stub.moved) == 1


@pytest.mark.django_db
def test_an_order_is_paid_at_most_once(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    stub, _ = bank
    order_id = str(uuid.uuid4())
    assert orders.post(CHARGE, _attempt(order_id=order_id), format="json").json()["status"] == "succeeded"
    second = orders.post(CHARGE, _attempt(order_id=order_id), format="json").json()
    assert second["status"] == "failed" and second["failure_code"] == "already_paid"
    assert stub.posts == 1


@pytest.mark.django_db
def test_a_payment_id_cannot_be_reused_for_something_else(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    attempt = _attempt()
    orders.post(CHARGE, attempt, format="json")
    response = orders.post(CHARGE, {**attempt, "amount": 1}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "payment_mismatch"


@pytest.mark.django_db(transaction=True)
def test_the_same_attempt_sent_concurrently_charges_once(bank: tuple[Bank, JsonServer]) -> None:
    stub, _ = bank
    stub.delay = 0.2
    attempt = _attempt()

    def send() -> str:
        response = service_client("orders", "payments:charge").post(CHARGE, attempt, format="json")
        return str(response.json()["status"])

    statuses = run_concurrently(send, 5)
    assert statuses == ["succeeded"] * 5
    assert len(stub.moved) == 1 and Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_reconciler_sends_the_same_charge_again_and_never_charges_twice(bank: tuple[Bank, JsonServer]) -> None:
    stub, _ = bank

    def pending() -> Payment:
        return Payment.objects.create(
            order_id=uuid.uuid4(), user_id=ALICE, account_id=uuid.uuid4(), amount=5, currency="EUR"
        )

    charged, lost, busy, fresh = pending(), pending(), pending(), pending()
    # The bank committed the first charge, but payments died before recording it; the third is
    # still being processed by the bank; the second never reached it.
    stub.moved[f"payment:{charged.id}"] = {"id": str(uuid.uuid4()), "kind": "payment"}
    stub.busy.add(f"payment:{busy.id}")
    Payment.objects.exclude(id=fresh.id).update(created_at=timezone.now() - timedelta(minutes=5))
    call_command("reconcile_payments")
    statuses = {payment.id: payment.status for payment in Payment.objects.all()}
    assert statuses == {charged.id: "succeeded", lost.id: "succeeded", busy.id: "pending", fresh.id: "pending"}
    assert str(Payment.objects.get(id=charged.id).bank_transaction_id) == stub.moved[f"payment:{charged.id}"]["id"]
    assert len(stub.moved) == 2  # the first charge replayed, the lost one made once; nothing twice
    stub.busy.clear()
    Payment.objects.filter(id=busy.id).update(created_at=timezone.now() - timedelta(minutes=5))
    call_command("reconcile_payments")
    assert Payment.objects.get(id=busy.id).status == "succeeded"


@pytest.mark.django_db
def test_staff_refund_a_succeeded_payment_once(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    stub, server = bank
    payment = orders.post(CHARGE, _attempt(), format="json").json()
    staff = user_client(uuid.uuid4(), "customer", "staff")
    url = f"/payments/api/payments/{payment['id']}/refund/"
    assert user_client(ALICE).post(url, HTTP_IDEMPOTENCY_KEY="r1").status_code == 403
    refunded = staff.post(url, HTTP_IDEMPOTENCY_KEY="r1")
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    assert server.received[-1].headers["Idempotency-Key"] == f"refund:{payment['id']}"
    assert server.received[-1].body["kind"] == "refund"
    assert staff.post(url, HTTP_IDEMPOTENCY_KEY="r2").json()["status"] == "refunded"
    assert [m["kind"] for m in stub.moved.values()] == ["payment", "refund"]
    assert OutboxEvent.objects.filter(event_type="payment.refunded").count() == 1

    stub.refuse = (409, "insufficient_funds", "no")
    failed = orders.post(CHARGE, _attempt(), format="json").json()
    refusal = staff.post(f"/payments/api/payments/{failed['id']}/refund/", HTTP_IDEMPOTENCY_KEY="r3")
    assert refusal.status_code == 409 and refusal.json()["code"] == "not_refundable"


@pytest.mark.django_db
def test_customers_see_their_own_payments_and_staff_see_all(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    mine = orders.post(CHARGE, _attempt(), format="json").json()
    other = orders.post(CHARGE, _attempt(user_id=str(uuid.uuid4())), format="json").json()
    alice = user_client(ALICE)
    assert [p["id"] for p in alice.get("/payments/api/payments/").json()["results"]] == [mine["id"]]
    assert alice.get(f"/payments/api/payments/{other['id']}/").status_code == 404
    assert alice.get(f"/payments/api/payments/{mine['id']}/").json()["amount"] == 2500
    staff = user_client(uuid.uuid4(), "customer", "staff")
    assert staff.get("/payments/api/payments/").json()["count"] == 2
    assert staff.get("/payments/api/payments/", {"user_id": str(ALICE)}).json()["count"] == 1
    assert staff.get("/payments/api/payments/", {"status": "bogus"}).status_code == 400


@pytest.mark.django_db
def test_the_internal_api_needs_the_payments_charge_scope(bank: tuple[Bank, JsonServer]) -> None:
    assert service_client("orders", "catalog:reserve").post(CHARGE, _attempt(), format="json").status_code == 403
    assert user_client(ALICE, "staff", "admin").post(CHARGE, _attempt(), format="json").status_code == 401
    bad = service_client("orders", "payments:charge").post(CHARGE, _attempt(amount="25.00"), format="json")
    assert bad.status_code == 400 and "amount" in bad.json()["fields"]


@pytest.mark.django_db
def test_a_refund_whose_answer_was_lost_is_finished_by_the_reconciler_once(
    orders: APIClient, bank: tuple[Bank, JsonServer], settings: Any
) -> None:
    stub, _ = bank
    payment = orders.post(CHARGE, _attempt(), format="json").json()
    settings.SERVICE_READ_TIMEOUT = 0.3
    stub.delay = 0.6  # the bank refunds, but answers too late
    response = orders.post(f"{CHARGE}{payment['id']}/refund/")
    assert response.status_code == 504
    waiting = Payment.objects.get(id=payment["id"])
    assert waiting.status == "succeeded" and waiting.refund_requested_at is not None
    stub.delay = 0
    Payment.objects.filter(id=payment["id"]).update(refund_requested_at=timezone.now() - timedelta(minutes=5))
    call_command("reconcile_payments")
    assert Payment.objects.get(id=payment["id"]).status == "refunded"
    assert [moved["kind"] for moved in stub.moved.values()] == ["payment", "refund"]  # refunded once
    assert OutboxEvent.objects.filter(event_type="payment.refunded").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["charge", "refund"])
def test_nothing_is_locked_and_no_transaction_is_open_while_the_bank_answers(
    orders: APIClient, bank: tuple[Bank, JsonServer], step: str
) -> None:
    stub, _ = bank
    attempt = _attempt()
    if step == "refund":
        assert orders.post(CHARGE, attempt, format="json").json()["status"] == "succeeded"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (caller,) = cursor.fetchone()
    seen: list[Any] = []

    def look(key: str) -> None:
        # Another connection, as another request would: what was recorded is committed, and the
        # order's payments are free while the bank answers.
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [caller])
                seen.append(cursor.fetchone()[0])
            with transaction.atomic():
                locked = list(Payment.objects.select_for_update(nowait=True).filter(order_id=attempt["order_id"]))
                seen.append([(p.charge_requested_at is not None, p.refund_requested_at is not None) for p in locked])
        except DatabaseError as error:
            seen.append(error)
        finally:
            connection.close()

    stub.on_move = look
    if step == "charge":
        response = orders.post(CHARGE, attempt, format="json")
        assert response.status_code == 201 and response.json()["status"] == "succeeded"
        assert seen == ["idle", [(True, False)]], seen
    else:
        response = orders.post(f"{CHARGE}{attempt['payment_id']}/refund/")
        assert response.status_code == 200 and response.json()["status"] == "refunded"
        assert seen == ["idle", [(True, True)]], seen


@pytest.mark.django_db(transaction=True)
def test_the_same_charge_sent_while_the_bank_is_busy_with_it_gets_the_same_movement(
    orders: APIClient, bank: tuple[Bank, JsonServer]
) -> None:
    stub, _ = bank
    attempt = _attempt()
    key = f"payment:{attempt['payment_id']}"
    stub.moved[key] = {"id": str(uuid.uuid4()), "kind": "payment"}  # made by a request still being answered
    stub.busy.add(key)
    calls: list[str] = []

    def finish(arrived: str) -> None:
        calls.append(arrived)
        if len(calls) == 2:
            stub.busy.discard(arrived)  # the first request is answered: the bank replays its movement

    stub.on_move = finish
    response = orders.post(CHARGE, attempt, format="json")
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    assert response.json()["bank_transaction_id"] == stub.moved[key]["id"] and len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_another_attempt_of_an_order_waits_while_one_is_at_the_bank(
    orders: APIClient, bank: tuple[Bank, JsonServer]
) -> None:
    stub, _ = bank
    order_id = str(uuid.uuid4())
    first, second = _attempt(order_id=order_id), _attempt(order_id=order_id)
    # The first attempt was claimed for the bank, and its answer is not in yet.
    Payment.objects.create(
        id=first["payment_id"], order_id=order_id, user_id=ALICE, account_id=first["account_id"], amount=2500,
        currency="EUR", charge_requested_at=timezone.now(),
    )  # fmt: skip
    waiting = orders.post(CHARGE, second, format="json")
    assert waiting.status_code == 503 and waiting.json()["code"] == "payment_in_progress"
    assert stub.posts == 0 and Payment.objects.get(id=second["payment_id"]).status == "pending"
    assert orders.post(CHARGE, first, format="json").json()["status"] == "succeeded"  # the first, sent again
    refused = orders.post(CHARGE, second, format="json").json()
    assert refused["status"] == "failed" and refused["failure_code"] == "already_paid"
    assert stub.posts == 1


@pytest.mark.django_db
def test_a_refusal_of_a_missing_account_says_so(orders: APIClient, bank: tuple[Bank, JsonServer]) -> None:
    stub, _ = bank
    stub.refuse = (404, "not_found", "Not found.")
    payment = orders.post(CHARGE, _attempt(), format="json").json()
    assert payment["status"] == "failed" and payment["failure_code"] == "account_not_found"


@pytest.mark.django_db
def test_payments_are_not_looked_up_one_by_one_internally(bank: tuple[Bank, JsonServer]) -> None:
    orders = service_client("orders", "payments:charge")
    payment = orders.post(CHARGE, _attempt(), format="json").json()
    assert orders.get(f"{CHARGE}{payment['id']}/").status_code == 404
