from typing import Any

import jwt
import pytest
from rest_framework.test import APIClient

from servicekit.auth import get_verifier
from servicekit.testing import run_concurrently
from users.models import RefreshTokenRecord, User
from users.tokens.issuing import token_pair_for
from users.tokens.refresh import prune_refresh_tokens

REFRESH = "/auth/api/token/refresh/"
LOGOUT = "/auth/api/logout/"


def _bearer(client: APIClient, access: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.mark.django_db
def test_refresh_rotates_and_the_new_refresh_token_works(api_client: APIClient, user: User) -> None:
    pair = token_pair_for(user)
    first = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert first.status_code == 200
    assert first.json()["refresh"] != pair["refresh"]
    second = api_client.post(REFRESH, {"refresh": first.json()["refresh"]})
    assert second.status_code == 200


@pytest.mark.django_db
def test_a_rotated_refresh_token_presented_again_revokes_its_whole_family(api_client: APIClient, user: User) -> None:
    pair = token_pair_for(user)
    other_session = token_pair_for(user)  # another sign-in: another family
    first = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert first.status_code == 200
    again = api_client.post(REFRESH, {"refresh": pair["refresh"]})  # a stolen copy, say
    assert again.status_code == 401
    assert again.json()["code"] == "token_revoked"
    # The rotated-to token, whoever holds it now, is revoked too; the other sign-in is untouched.
    assert api_client.post(REFRESH, {"refresh": first.json()["refresh"]}).status_code == 401
    assert api_client.post(REFRESH, {"refresh": other_session["refresh"]}).status_code == 200


@pytest.mark.django_db
def test_a_logged_out_refresh_token_is_refused_without_revoking_the_family(api_client: APIClient, user: User) -> None:
    pair = token_pair_for(user)
    _bearer(api_client, pair["access"]).post(LOGOUT, {"refresh": pair["refresh"]})
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    assert RefreshTokenRecord.objects.filter(family=RefreshTokenRecord.objects.get().family).count() == 1


@pytest.mark.django_db
def test_tokens_say_what_they_are_in_their_header_and_audience(user: User) -> None:
    pair = token_pair_for(user)
    access, refresh = jwt.get_unverified_header(pair["access"]), jwt.get_unverified_header(pair["refresh"])
    assert access["typ"] == "at+jwt" and refresh["typ"] == "JWT"
    access_claims = jwt.decode(pair["access"], options={"verify_signature": False})
    refresh_claims = jwt.decode(pair["refresh"], options={"verify_signature": False})
    assert access_claims["aud"] == "shop"
    assert refresh_claims["aud"] == "shop-auth" != access_claims["aud"]
    assert access_claims["email_verified"] is False


@pytest.mark.django_db
def test_a_deactivated_user_cannot_refresh(api_client: APIClient, user: User) -> None:
    pair = token_pair_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


@pytest.mark.django_db
def test_refreshed_tokens_carry_the_current_roles(api_client: APIClient, user: User) -> None:
    pair = token_pair_for(user)
    User.objects.filter(pk=user.pk).update(roles=["customer", "staff"])
    response = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert get_verifier().decode(response.json()["access"])["roles"] == ["customer", "staff"]
    assert get_verifier().decode(response.json()["refresh"], token_type="refresh")["roles"] == ["customer", "staff"]


@pytest.mark.django_db(transaction=True)
def test_of_concurrent_refreshes_with_one_token_exactly_one_succeeds(user: User) -> None:
    refresh = token_pair_for(user)["refresh"]
    workers = 8
    outcomes = run_concurrently(
        lambda: APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code, workers
    )
    statuses = sorted(outcome for outcome in outcomes if isinstance(outcome, int))
    assert statuses == [200] + [401] * (workers - 1), outcomes
    # The losers presented a token that had just been rotated: reuse, so the family is revoked.
    assert RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_logout_revokes_the_given_refresh_token_only(api_client: APIClient, user: User) -> None:
    first, second = token_pair_for(user), token_pair_for(user)
    response = _bearer(api_client, first["access"]).post(LOGOUT, {"refresh": first["refresh"]})
    assert response.status_code == 204
    anonymous = APIClient()
    assert anonymous.post(REFRESH, {"refresh": first["refresh"]}).status_code == 401
    assert anonymous.post(REFRESH, {"refresh": second["refresh"]}).status_code == 200


@pytest.mark.django_db
def test_logout_all_revokes_every_refresh_token_of_the_user(api_client: APIClient, user: User) -> None:
    pairs = [token_pair_for(user) for _ in range(3)]
    assert _bearer(api_client, pairs[0]["access"]).post(LOGOUT, {"all": True}).status_code == 204
    anonymous = APIClient()
    for pair in pairs:
        assert anonymous.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401


@pytest.mark.django_db
def test_logout_refuses_someone_elses_refresh_token(api_client: APIClient, user: User) -> None:
    other = User.objects.create_user(email="eve@example.com", password="a-long-passphrase-9")
    theirs = token_pair_for(other)
    response = _bearer(api_client, token_pair_for(user)["access"]).post(LOGOUT, {"refresh": theirs["refresh"]})
    assert response.status_code == 401
    assert APIClient().post(REFRESH, {"refresh": theirs["refresh"]}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"all": False}, {"refresh": ""}, {"all": "maybe"}])
def test_logout_needs_a_refresh_token_or_all(api_client: APIClient, user: User, body: dict[str, Any]) -> None:
    response = _bearer(api_client, token_pair_for(user)["access"]).post(LOGOUT, body)
    assert response.status_code == 400


def test_logout_needs_a_signed_in_user(api_client: APIClient) -> None:
    assert api_client.post(LOGOUT, {"all": True}).status_code == 401


@pytest.mark.django_db
def test_prune_deletes_only_expired_records(user: User) -> None:
    live = token_pair_for(user)
    dead = token_pair_for(user)
    dead_jti = jwt.decode(dead["refresh"], options={"verify_signature": False})["jti"]
    RefreshTokenRecord.objects.filter(jti=dead_jti).update(expires_at="2000-01-01T00:00:00Z")
    from django.utils import timezone

    assert prune_refresh_tokens(before=timezone.now()) == 1
    assert RefreshTokenRecord.objects.filter(user=user).count() == 1
    assert APIClient().post(REFRESH, {"refresh": live["refresh"]}).status_code == 200


@pytest.mark.django_db
def test_verify_refuses_a_refresh_token_already_used(api_client: APIClient, user: User) -> None:
    pair = token_pair_for(user)
    assert api_client.post("/auth/api/token/verify/", {"token": pair["refresh"]}).status_code == 200
    api_client.post(REFRESH, {"refresh": pair["refresh"]})
    response = api_client.post("/auth/api/token/verify/", {"token": pair["refresh"]})
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
