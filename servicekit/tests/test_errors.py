from typing import Any

import pytest
from django.test import Client


def _shape(body: dict[str, Any]) -> None:
    assert set(body) == {"code", "message", "fields", "request_id"}, body


def test_unhandled_exception_is_a_json_500_without_the_traceback() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/kit/api/boom/", HTTP_X_REQUEST_ID="trace-me-1")
    assert response.status_code == 500
    body = response.json()
    _shape(body)
    assert body["code"] == "server_error"
    assert "something broke" not in response.content.decode()


def test_domain_error_keeps_its_status_code_and_message(client: Client) -> None:
    response = client.post("/kit/api/clash/", content_type="application/json", data="{}")
    assert response.status_code == 409
    body = response.json()
    _shape(body)
    assert body["code"] == "conflict"
    assert body["message"] == "The widget is already sold."


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"name": "toolong", "quantity": 1}, {"name"}),
        ({"name": "ok", "quantity": "many"}, {"quantity"}),
        ({"name": "ok", "quantity": 0}, {"quantity"}),
        ({}, {"name", "quantity"}),
    ],
)
def test_validation_errors_list_the_fields(client: Client, payload: dict[str, Any], fields: set[str]) -> None:
    response = client.post("/kit/api/validate/", payload, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    _shape(body)
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == fields


def test_malformed_json_is_a_parse_error(client: Client) -> None:
    response = client.post("/kit/api/validate/", '{"name": "a",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_request_id_is_in_the_error_body(client: Client) -> None:
    response = client.get("/kit/nothing-here/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 404
    assert response.json()["request_id"] == "req-42"


def test_json_nested_too_deeply_is_a_parse_error_not_a_500(client: Client) -> None:
    response = client.post("/kit/api/validate/", "[" * 5000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_body_over_the_upload_limit_is_a_413(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"name": "' + "x" * 2000 + '", "quantity": 1}'
    response = client.post("/kit/api/validate/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_body_at_the_upload_limit_is_parsed(client: Client, settings: Any) -> None:
    body = '{"name": "toolong", "quantity": 1}'
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    response = client.post("/kit/api/validate/", body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name"}  # parsed and validated, not refused


def test_an_integrity_error_is_a_409_conflict_not_a_500() -> None:
    from django.db import IntegrityError

    from servicekit.errors import exception_handler

    response = exception_handler(IntegrityError("duplicate key value violates unique constraint"), {})
    assert response is not None and response.status_code == 409
    assert response.data["code"] == "conflict" and "duplicate" not in response.data["message"]


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_a_database_that_cannot_be_reached_is_a_503_not_a_500(error: str) -> None:
    from django import db

    from servicekit.errors import exception_handler

    response = exception_handler(getattr(db, error)("connection to server at 127.0.0.1 failed"), {})
    assert response is not None and response.status_code == 503
    assert response.data["code"] == "database_unavailable" and "127.0.0.1" not in response.data["message"]
    assert response["Retry-After"] == "1"


def test_an_application_error_that_says_when_to_retry_sends_retry_after() -> None:
    from servicekit.errors import ApplicationError, exception_handler

    class Busy(ApplicationError):
        status_code = 429
        default_code = "busy"

    error = Busy()
    error.retry_after = 2.2
    response = exception_handler(error, {})
    assert response is not None and response.status_code == 429
    assert response["Retry-After"] == "3"  # rounded up: never asked again too soon
    plain = exception_handler(Busy(), {})
    assert plain is not None and not plain.has_header("Retry-After")
