"""An atomic idempotent request is one transaction: claim, work and stored answer commit once."""

import json
import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.errors import Conflict
from servicekit.idempotency import atomic, idempotent
from servicekit.models import IdempotencyKey
from servicekit.testing import recorded_statements, run_concurrently, sign_token
from servicekit.waiting import poll_until
from tests.models import Widget

USER_ID = "11111111-1111-1111-1111-111111111111"


@atomic
def _make_widget(name: str) -> Widget:
    """A write as a service makes one: atomic alone, without a savepoint in an idempotent request."""
    return Widget.objects.create(name=name)


class Make(APIView):
    @idempotent
    def post(self, request: Request) -> Response:
        name = str(request.data["name"])
        widget = _make_widget(name)
        if name == "crash":
            raise RuntimeError("the request died after its work")
        if name == "slow":
            time.sleep(0.3)
        if name == "refuse":
            time.sleep(0.05)
            raise Conflict("Refused after a write, which is rolled back.")
        return Response({"id": widget.pk, "name": widget.name}, status=201)


class SlowPay(APIView):
    """A view that commits between its steps (atomic=False), as a payment calling another service does."""

    @idempotent(atomic=False)
    def post(self, request: Request) -> Response:
        time.sleep(0.3)
        widget = Widget.objects.create(name="paid")
        return Response({"id": widget.pk}, status=201)


urlpatterns = [path("make/", Make.as_view()), path("slow-pay/", SlowPay.as_view())]
pytestmark = pytest.mark.urls(__name__)


def _post(url: str, body: Any, key: str = "key-1") -> Any:
    token = sign_token(user_id=USER_ID)
    return Client().post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.mark.django_db(transaction=True)
def test_an_atomic_request_commits_once_with_its_claim_first() -> None:
    _post("/make/", {"name": "warm"}, key="warm")
    with recorded_statements() as statements:
        assert _post("/make/", {"name": "a"}).status_code == 201
    assert not statements.autocommitted  # nothing committed on its own
    assert statements.commits == 1
    assert statements.work[0].startswith("INSERT INTO servicekit_idempotencykey")  # the claim, before any other work
    assert not statements.savepoints
    assert len(statements.work) == 3  # claim, the widget, the stored answer
    assert IdempotencyKey.objects.get(key="key-1").state == IdempotencyKey.State.DONE


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_the_work_rolls_back_the_claim_with_it() -> None:
    client = Client(raise_request_exception=False)
    headers: dict[str, Any] = {
        "HTTP_AUTHORIZATION": f"Bearer {sign_token(user_id=USER_ID)}",
        "HTTP_IDEMPOTENCY_KEY": "key-c",
    }
    assert client.post("/make/", {"name": "crash"}, content_type="application/json", **headers).status_code == 500
    assert not Widget.objects.exists()
    assert not IdempotencyKey.objects.exists()  # no claim left behind: the retry runs at once
    assert client.post("/make/", {"name": "crash"}, content_type="application/json", **headers).status_code == 500


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_once_and_all_get_the_same_answer() -> None:
    answers = run_concurrently(lambda: _post("/make/", {"name": "slow"}), 6)
    assert {answer.status_code for answer in answers} == {201}  # type: ignore[union-attr]
    assert len({json.dumps(answer.json(), sort_keys=True) for answer in answers}) == 1  # type: ignore[union-attr]
    assert sum("Idempotent-Replayed" not in answer for answer in answers) == 1  # type: ignore[operator]
    assert Widget.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_of_a_refusal_write_nothing_and_all_get_the_same_answer() -> None:
    answers = run_concurrently(lambda: _post("/make/", {"name": "refuse"}), 6)
    assert {answer.status_code for answer in answers} == {409}  # type: ignore[union-attr]
    assert len({json.dumps(answer.json(), sort_keys=True) for answer in answers}) == 1  # type: ignore[union-attr]
    assert not Widget.objects.exists()  # each run's write was rolled back with its refusal
    stored = IdempotencyKey.objects.get()
    assert stored.state == IdempotencyKey.State.DONE and stored.response_status == 409


def _claim_committed() -> bool:
    return IdempotencyKey.objects.filter(state=IdempotencyKey.State.RUNNING).exists()


@pytest.mark.django_db(transaction=True)
def test_with_atomic_false_a_duplicate_while_the_first_runs_is_409() -> None:
    statuses: list[int] = []

    def first() -> None:
        try:
            statuses.append(_post("/slow-pay/", {}).status_code)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    poll_until(_claim_committed, timeout=5, interval=0.001, message="the first request to commit its claim")
    duplicate = _post("/slow-pay/", {})
    thread.join()
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency_in_progress"
    assert statuses == [201]
    assert Widget.objects.count() == 1
    assert _post("/slow-pay/", {})["Idempotent-Replayed"] == "true"


@atomic
def _fail_after_a_widget() -> None:
    Widget.objects.create(name="undone")
    raise ValueError("refused")


@pytest.mark.django_db(transaction=True)
def test_the_atomic_decorator_outside_a_request_is_a_transaction_or_a_savepoint() -> None:
    with recorded_statements() as alone:
        _make_widget("alone")
    with recorded_statements() as nested, transaction.atomic():
        with pytest.raises(ValueError, match="refused"):
            _fail_after_a_widget()
        _make_widget("after")  # the caller's transaction goes on without the failed write
    assert not alone.savepoints
    assert sum(text.startswith("SAVEPOINT") for text in nested.work) == 2
    assert sorted(Widget.objects.values_list("name", flat=True)) == ["after", "alone"]
