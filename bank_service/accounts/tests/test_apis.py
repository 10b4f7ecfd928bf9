import pytest


@pytest.mark.django_db
def test_account_list_is_a_paginated_list_for_a_signed_in_user(client_as):
    response = client_as("customer").get("/bank/api/accounts/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_account_list_refuses_anonymous_callers(api_client):
    response = api_client.get("/bank/api/accounts/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
