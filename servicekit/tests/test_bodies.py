import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from servicekit import bodies


def _refuse_unread(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=403)


def test_the_unread_rest_of_a_body_is_read_before_the_response_leaves() -> None:
    request = RequestFactory().post("/x/", data=b"x" * 200_000, content_type="application/json")
    response = bodies.DrainRequestBodyMiddleware(_refuse_unread)(request)
    assert response.status_code == 403
    assert request.read() == b""


def test_a_body_over_the_bound_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bodies, "MAX_DRAINED", 1000)
    request = RequestFactory().post("/x/", data=b"x" * 2000, content_type="application/json")
    bodies.DrainRequestBodyMiddleware(_refuse_unread)(request)
    assert len(request.read()) == 2000
