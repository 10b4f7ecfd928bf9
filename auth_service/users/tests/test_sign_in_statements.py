"""A sign-in's writes: the check admitted, the check ended, the tokens; a few statements, no savepoints."""

import pytest
from rest_framework.test import APIClient

from servicekit.testing import recorded_statements
from users.models import LoginFailure, SignInThrottle, User

TOKEN = "/auth/api/token/"
# Admission: the email's and the address's counters (one upsert each), the check counted in flight.
# The user read and checked. End: the counters locked again and deleted. Last sign-in and refresh token.
STATEMENTS_PER_SIGN_IN = 10


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_commits_three_times_in_a_few_statements(user: User, password: str) -> None:
    client = APIClient()
    assert client.post(TOKEN, {"email": user.email, "password": password}, format="json").status_code == 200
    with recorded_statements() as statements:
        response = client.post(TOKEN, {"email": user.email, "password": password}, format="json")
    assert response.status_code == 200
    assert statements.commits == 3
    assert len(statements.autocommitted) == 1 and statements.autocommitted[0].startswith('SELECT "users_user"')
    assert not statements.savepoints
    assert len(statements.work) <= STATEMENTS_PER_SIGN_IN, statements.work
    assert not LoginFailure.objects.exists() and not SignInThrottle.objects.exists()  # nothing left behind
