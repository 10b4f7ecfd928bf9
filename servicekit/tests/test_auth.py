import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured

from servicekit import auth
from servicekit.auth import keys as key_sources
from servicekit.auth import verifier as verifying
from servicekit.testing import sign_token


def test_verifier_parses_the_public_key_once() -> None:
    verifying._current_verifier = None
    with mock.patch.object(key_sources, "load_public_key", wraps=key_sources.load_public_key) as load:
        first = auth.get_verifier()
        for _ in range(5):
            assert auth.get_verifier() is first
            first.decode(sign_token())
    assert load.call_count == 1


def test_verifier_pins_rs256_even_if_the_token_names_another_rsa_algorithm() -> None:
    private_pem = Path(os.environ["JWT_PRIVATE_KEY_FILE"]).read_bytes()
    token = sign_token(private_key=private_pem, algorithm="RS512")
    with pytest.raises(auth.InvalidToken):
        auth.get_verifier().decode(token)


def test_verifier_reports_expiry_with_its_own_code() -> None:
    with pytest.raises(auth.InvalidToken) as raised:
        auth.get_verifier().decode(sign_token(lifetime=timedelta(seconds=-60)))
    assert raised.value.get_codes() == "token_expired"


def test_leeway_tolerates_small_clock_skew() -> None:
    claims = auth.get_verifier().decode(sign_token(lifetime=timedelta(seconds=-5)))
    assert claims["token_type"] == "access"


@pytest.mark.parametrize(
    "claims",
    [
        {"user_id": "not-a-uuid"},
        {"roles": "admin"},
        {"roles": [1, 2]},
        {"email": 42},
    ],
)
def test_token_user_refuses_malformed_claims(claims: dict[str, Any]) -> None:
    verified = auth.get_verifier().decode(sign_token(**claims))
    with pytest.raises(auth.InvalidToken):
        auth.TokenUser.from_claims(verified)


def test_token_user_ignores_unknown_roles() -> None:
    user = auth.TokenUser.from_claims({"user_id": str(uuid.uuid4()), "roles": ["customer", "root"], "email": "a@b.c"})
    assert user.roles == frozenset({"customer"})
    assert not user.is_staff


def test_unreadable_public_key_is_a_configuration_error(settings: Any, tmp_path: Path) -> None:
    settings.JWT_PUBLIC_KEY_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(ImproperlyConfigured, match="JWT_PUBLIC_KEY_FILE"):
        auth.get_verifier()


REFRESH_AUDIENCE = "shop-auth"


def _verifier(cache_size: int = 16, refresh_audience: str | None = None) -> auth.TokenVerifier:
    current = auth.get_verifier()
    return auth.TokenVerifier(
        keys=current.keys,
        issuer=current.issuer,
        audience=current.audience,
        leeway=current.leeway,
        cache_size=cache_size,
        refresh_audience=refresh_audience,
    )


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = _verifier()
    token = sign_token(lifetime=timedelta(minutes=1))
    assert verifier.decode(token)["token_type"] == "access"
    real_time = verifying.time.time
    monkeypatch.setattr(verifying.time, "time", lambda: real_time() + 3600)
    with pytest.raises(auth.InvalidToken) as raised:
        verifier.decode(token)
    assert raised.value.get_codes() == "token_expired"


def test_a_remembered_token_is_still_checked_for_its_type() -> None:
    verifier = _verifier(refresh_audience=REFRESH_AUDIENCE)
    refresh = sign_token(token_type="refresh", aud=REFRESH_AUDIENCE)
    assert verifier.decode(refresh, token_type="refresh")["token_type"] == "refresh"
    with pytest.raises(auth.InvalidToken):
        verifier.decode(refresh)


def test_a_refresh_token_fails_everywhere_but_at_its_own_audience() -> None:
    refresh = sign_token(token_type="refresh", aud=REFRESH_AUDIENCE)
    with pytest.raises(auth.InvalidToken):  # another service: no refresh audience at all
        _verifier().decode(refresh, token_type="refresh")
    with pytest.raises(auth.InvalidToken):  # a refresh token for the platform audience is not one auth made
        _verifier(refresh_audience=REFRESH_AUDIENCE).decode(sign_token(token_type="refresh"), token_type="refresh")


def test_an_access_token_must_say_at_jwt_and_a_refresh_token_must_not() -> None:
    verifier = _verifier(refresh_audience=REFRESH_AUDIENCE)
    assert verifier.decode(sign_token())["token_type"] == "access"
    untyped = sign_token(headers={"kid": jwt.get_unverified_header(sign_token())["kid"]})
    with pytest.raises(auth.InvalidToken):
        verifier.decode(untyped)
    posing = sign_token(token_type="refresh", aud=REFRESH_AUDIENCE, headers=jwt.get_unverified_header(sign_token()))
    with pytest.raises(auth.InvalidToken):
        verifier.decode(posing, token_type="refresh")


def test_the_signature_is_checked_once_per_token() -> None:
    verifier = _verifier()
    token = sign_token()
    with mock.patch.object(verifying.jwt, "decode", wraps=verifying.jwt.decode) as decode:
        for _ in range(3):
            verifier.decode(token)
        verifier.decode(sign_token())
    assert decode.call_count == 2


def test_refused_tokens_are_not_remembered() -> None:
    verifier = _verifier()
    forged = sign_token(aud="elsewhere")
    with mock.patch.object(verifying.jwt, "decode", wraps=verifying.jwt.decode) as decode:
        for _ in range(3):
            with pytest.raises(auth.InvalidToken):
                verifier.decode(forged)
    assert decode.call_count == 3


def test_the_memo_can_be_turned_off() -> None:
    verifier = _verifier(cache_size=0)
    token = sign_token()
    with mock.patch.object(verifying.jwt, "decode", wraps=verifying.jwt.decode) as decode:
        verifier.decode(token)
        verifier.decode(token)
    assert decode.call_count == 2
