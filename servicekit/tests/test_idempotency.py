import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from servicekit.idempotency import prune_idempotency_keys
from servicekit.models import IdempotencyKey
from servicekit.testing import sign_token
from servicekit.waiting import poll_until
from tests.models import Widget

URL = "/kit/api/widgets/"


def _post(client: Client, body: Any, *, key: str | None = "key-1", token: str | None = None) -> Any:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token or sign_token(user_id=USER_ID)}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, body, content_type="application/json", **headers)


USER_ID = "11111111-1111-1111-1111-111111111111"


@pytest.mark.django_db
def test_a_replay_returns_the_first_response_and_does_nothing_again(client: Client) -> None:
    first = _post(client, {"name": "a", "quantity": 1})
    again = _post(client, {"name": "a", "quantity": 1})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Widget.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(client: Client) -> None:
    _post(client, {"name": "a", "quantity": 1})
    response = _post(client, {"name": "b", "quantity": 1})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Widget.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "", "x" * 256, "has space", "tab\tkey"])
def test_a_missing_or_malformed_key_is_400_and_nothing_is_written(client: Client, key: str | None) -> None:
    response = _post(client, {"name": "a", "quantity": 1}, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert Widget.objects.count() == 0


@pytest.mark.django_db
def test_keys_are_scoped_to_the_caller(client: Client) -> None:
    _post(client, {"name": "a", "quantity": 1})
    other = sign_token(user_id="22222222-2222-2222-2222-222222222222")
    response = _post(client, {"name": "a", "quantity": 1}, token=other)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Widget.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_is_stored_and_replayed_like_a_success(client: Client) -> None:
    refused = _post(client, {"name": "a", "quantity": 0})
    again = _post(client, {"name": "a", "quantity": 0})
    assert refused.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == refused.json()


@pytest.mark.django_db
def test_a_refusal_with_members_of_its_own_is_stored_and_replayed_whole(client: Client) -> None:
    headers: dict[str, Any] = {
        "HTTP_AUTHORIZATION": f"Bearer {sign_token(user_id=USER_ID)}",
        "HTTP_IDEMPOTENCY_KEY": "buy-1",
    }
    declined = client.post(f"{URL}buy/", {"name": "a"}, content_type="application/json", **headers)
    again = client.post(f"{URL}buy/", {"name": "a"}, content_type="application/json", **headers)
    assert declined.status_code == again.status_code == 402
    body = declined.json()
    assert body["code"] == "insufficient_funds" and body["message"] == "No funds for it." and body["fields"] == {}
    assert body["widget"] == {"id": Widget.objects.get().pk}
    assert again.json() == body and again["Idempotent-Replayed"] == "true"
    assert Widget.objects.count() == 1  # the replay did nothing again


@pytest.mark.django_db
def test_an_unexpected_error_writes_nothing_and_keeps_no_key() -> None:
    client = Client(raise_request_exception=False)
    assert _post(client, {"name": "crash", "quantity": 1}).status_code == 500
    assert not Widget.objects.exists()  # the half-done work was rolled back
    assert IdempotencyKey.objects.count() == 0
    assert _post(client, {"name": "crash", "quantity": 1}).status_code == 500  # evaluated again


def _claim_in_flight() -> bool:
    """Whether another session holds a claim it has not committed yet (its request still running)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'idle in transaction'"
            " AND query LIKE 'INSERT INTO servicekit_idempotencykey%%'"
        )
        return cursor.fetchone() is not None


def _start_slow_request(statuses: list[int]) -> threading.Thread:
    """Start a slow request in another thread; return once it has claimed its key (not yet committed)."""

    def first() -> None:
        try:
            statuses.append(_post(Client(), {"name": "slow", "quantity": 1}).status_code)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    poll_until(_claim_in_flight, timeout=5, interval=0.001, message="the slow request to claim its key")
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_runs_waits_and_replays_its_answer(client: Client) -> None:
    """The claim commits with the work: a duplicate waits on the key until the first ends, then replays it."""
    statuses: list[int] = []
    thread = _start_slow_request(statuses)
    duplicate = _post(client, {"name": "slow", "quantity": 1})
    thread.join()
    assert statuses == [201]
    assert duplicate.status_code == 201
    assert duplicate["Idempotent-Replayed"] == "true"
    assert duplicate.json() == {"id": Widget.objects.get().pk, "name": "slow"}  # one widget, the first's


@pytest.mark.django_db
@override_settings(IDEMPOTENCY_CLAIM_TIMEOUT=1)
def test_a_claim_left_by_a_crashed_request_is_taken_over(client: Client) -> None:
    fingerprint_source = _post(client, {"name": "a", "quantity": 1}, key="probe")
    assert fingerprint_source.status_code == 201
    probe = IdempotencyKey.objects.get(key="probe")
    # A request that committed its claim on its own (atomic=False) and crashed left this behind.
    IdempotencyKey.objects.create(
        owner=probe.owner, key="key-9", fingerprint=probe.fingerprint,  # same method, path and body
        claimed_at=timezone.now() - timedelta(seconds=5),
    )  # fmt: skip
    response = _post(client, {"name": "a", "quantity": 1}, key="key-9")
    assert response.status_code == 201
    assert Widget.objects.count() == 2


@pytest.mark.django_db
def test_prune_deletes_keys_older_than_the_ttl(client: Client) -> None:
    _post(client, {"name": "a", "quantity": 1}, key="old")
    _post(client, {"name": "a", "quantity": 1}, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert prune_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
@override_settings(IDEMPOTENCY_CLAIM_TIMEOUT=0)
def test_a_live_request_cannot_be_taken_over_even_after_the_timeout(client: Client) -> None:
    statuses: list[int] = []
    thread = _start_slow_request(statuses)
    time.sleep(0.1)  # the first request now holds its claim locked inside its transaction
    duplicate = _post(client, {"name": "slow", "quantity": 1})
    thread.join()
    # The duplicate waited for the live request and found it done: one widget, never two.
    assert statuses == [201]
    assert duplicate.status_code == 201
    assert Widget.objects.count() == 1


def _claim_left_by(pid: int | None, client: Client, key: str) -> None:
    """A claim of `key` (same method, path and body as the test's request) made by session `pid`, just now."""
    assert _post(client, {"name": "a", "quantity": 1}, key="probe").status_code == 201
    probe = IdempotencyKey.objects.get(key="probe")
    IdempotencyKey.objects.create(owner=probe.owner, key=key, fingerprint=probe.fingerprint, claimed_by=pid)


def _ended_session() -> int:
    """The backend pid of a database session that has ended."""
    other = connection.copy()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    other.close()

    def ended() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # the test's transaction would keep its first view
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone() is None

    poll_until(ended, timeout=5, interval=0.01, message=f"session {pid} to end")
    return pid


@pytest.mark.django_db
def test_a_claim_whose_session_is_gone_is_taken_over_at_once(client: Client) -> None:
    """A worker killed mid-request (or a database restart) leaves its claim running, but its
    session ends with it: the client's retry runs at once instead of waiting for the timeout."""
    _claim_left_by(_ended_session(), client, "key-killed")
    response = _post(client, {"name": "a", "quantity": 1}, key="key-killed")
    assert response.status_code == 201
    assert Widget.objects.count() == 2
    assert IdempotencyKey.objects.get(key="key-killed").state == IdempotencyKey.State.DONE


@pytest.mark.django_db
def test_a_claim_whose_session_is_alive_is_not_taken_over_before_the_timeout(client: Client) -> None:
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            alive = int(cursor.fetchone()[0])
        _claim_left_by(alive, client, "key-alive")
        response = _post(client, {"name": "a", "quantity": 1}, key="key-alive")
    finally:
        other.close()
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert Widget.objects.count() == 1


@pytest.mark.django_db
def test_a_claim_without_a_session_waits_for_the_timeout(client: Client) -> None:
    _claim_left_by(None, client, "key-unknown")  # made before claims recorded their session
    assert _post(client, {"name": "a", "quantity": 1}, key="key-unknown").status_code == 409
    assert Widget.objects.count() == 1
