"""A sign-in's writes: the check admitted, the check ended, the tokens; a few statements, no savepoints."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from users.models import LoginFailure, SignInThrottle, User

TOKEN = "/auth/api/token/"
# Admission: the email's and the address's counters (one upsert each), the check counted in flight.
# The user read and checked. End: the counters locked again and deleted. Last sign-in and refresh token.
STATEMENTS_PER_SIGN_IN = 10


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_commits_three_times_in_a_few_statements(user: User, password: str) -> None:
    client = APIClient()
    assert client.post(TOKEN, {"email": user.email, "password": password}, format="json").status_code == 200
    outside: list[str] = []

    def note_autocommitted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not connection.in_atomic_block:
            outside.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as logged, connection.execute_wrapper(note_autocommitted):
        response = client.post(TOKEN, {"email": user.email, "password": password}, format="json")
    assert response.status_code == 200
    sql = [query["sql"] for query in logged.captured_queries]
    assert sql.count("COMMIT") == 3
    assert len(outside) == 1 and outside[0].startswith('SELECT "users_user"')  # the read alone
    statements = [text for text in sql if text not in ("BEGIN", "COMMIT")]
    assert not [text for text in statements if "SAVEPOINT" in text]
    assert len(statements) <= STATEMENTS_PER_SIGN_IN, statements
    assert not LoginFailure.objects.exists() and not SignInThrottle.objects.exists()  # nothing left behind
