import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from servicekit.auth import InvalidToken, get_verifier
from servicekit.keys import write_keypair
from users.models import User
from users.tokens.issuing import token_pair_for
from users.tokens.keyring import keyring
from users.tokens.rotation import rotate_signing_key

JWKS = "/auth/.well-known/jwks.json"


@pytest.fixture
def key_dir(tmp_path: Path, settings: Any) -> Path:
    """A key directory of this test's own, re-read on every use."""
    private_path, _ = write_keypair(tmp_path)
    settings.JWT_PRIVATE_KEY_FILE = str(private_path)
    settings.JWT_RETIRED_KEYS_DIR = str(tmp_path / "retired")
    settings.JWT_KEYS_RELOAD_SECONDS = 0
    return tmp_path


def _kids(api_client: APIClient) -> set[str]:
    response = api_client.get(JWKS)
    assert response.status_code == 200
    return {key["kid"] for key in response.json()["keys"]}


@pytest.mark.django_db
def test_tokens_carry_the_kid_published_in_the_jwks(api_client: APIClient, user: User, key_dir: Path) -> None:
    access = token_pair_for(user)["access"]
    kid = jwt.get_unverified_header(access)["kid"]
    assert _kids(api_client) == {kid}
    jwk = api_client.get(JWKS).json()["keys"][0]
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert "d" not in jwk and "p" not in jwk  # never the private parts


@pytest.mark.django_db
def test_rotation_keeps_old_tokens_valid_until_the_old_key_is_pruned(
    api_client: APIClient, user: User, key_dir: Path
) -> None:
    before = token_pair_for(user)["access"]
    call_command("jwt_keys", "rotate")
    after = token_pair_for(user)["access"]
    old_kid, new_kid = (jwt.get_unverified_header(token)["kid"] for token in (before, after))
    assert old_kid != new_kid
    assert _kids(api_client) == {old_kid, new_kid}
    verifier = get_verifier()
    assert verifier.decode(before)["user_id"] == verifier.decode(after)["user_id"] == str(user.id)

    call_command("jwt_keys", "prune", "--older-than", "0")
    assert _kids(api_client) == {new_kid}
    with pytest.raises(InvalidToken):
        verifier.decode(before)  # remembered as verified, but its key is gone
    assert verifier.decode(after)["user_id"] == str(user.id)


@pytest.mark.django_db
def test_prune_keeps_keys_retired_more_recently_than_the_limit(api_client: APIClient, key_dir: Path) -> None:
    call_command("jwt_keys", "rotate")
    call_command("jwt_keys", "prune")  # default: the refresh token lifetime
    assert len(_kids(api_client)) == 2


def test_rotation_writes_the_new_public_key_beside_the_private_key(key_dir: Path) -> None:
    new_kid = rotate_signing_key()
    from servicekit.keys import load_public_key, thumbprint

    assert thumbprint(load_public_key((key_dir / "jwt_public.pem").read_bytes())) == new_kid
    assert (key_dir / "jwt_private.pem").stat().st_mode & 0o077 == 0


def test_a_worker_notices_a_rotation_made_by_another_process(key_dir: Path) -> None:
    first_kid, _ = keyring().current()
    other_process_view = type(keyring())(key_dir / "jwt_private.pem", key_dir / "retired", reload_seconds=0)
    time.sleep(0.01)
    rotate_signing_key(other_process_view)
    assert keyring().current()[0] != first_kid
