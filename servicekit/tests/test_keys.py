"""Keys by kid: RFC 7638 thumbprints, JWKS caching, rotation and an unknown-kid storm, over real HTTP."""

import base64
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

from servicekit import auth
from servicekit.keys import generate_keypair, load_private_key, public_jwk, thumbprint
from servicekit.stubs import JsonServer, json_server
from servicekit.testing import run_concurrently, sign_token


def _b64int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def test_thumbprint_matches_the_rfc_7638_example() -> None:
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
        "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
        "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8"
        "awapJzKnqDKgw"
    )
    key = RSAPublicNumbers(_b64int("AQAB"), _b64int(n)).public_key()
    assert thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


class _Jwks:
    """A JWKS endpoint over real HTTP whose keys a test changes, counting fetches."""

    def __init__(self, server: JsonServer) -> None:
        self.server = server
        self.keys: list[dict[str, str]] = []
        self.url = f"{server.url}/jwks.json"

    @property
    def fetches(self) -> int:
        return self.server.requests


@pytest.fixture
def jwks() -> Iterator[_Jwks]:
    published: list[_Jwks] = []
    with json_server(lambda request: (200, {"keys": published[0].keys})) as server:
        published.append(_Jwks(server))
        yield published[0]


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _keypair() -> tuple[bytes, dict[str, str]]:
    private_pem, _ = generate_keypair()
    return private_pem, public_jwk(load_private_key(private_pem).public_key())


def _verifier(keys: auth.KeySource) -> auth.TokenVerifier:
    current = auth.get_verifier()
    return auth.TokenVerifier(keys=keys, issuer=current.issuer, audience=current.audience, leeway=timedelta(0))


def test_an_unknown_kid_storm_causes_at_most_one_fetch_per_interval(jwks: _Jwks) -> None:
    private_pem, jwk = _keypair()
    jwks.keys = [jwk]
    clock = _Clock()
    verifier = _verifier(auth.JWKSKeys(jwks.url, max_age=300, min_refetch=30, clock=clock))
    assert verifier.decode(sign_token(private_key=private_pem))  # first use fetches once
    assert jwks.fetches == 1

    def random_kid() -> str:
        return sign_token(private_key=private_pem, headers={"kid": uuid.uuid4().hex})

    clock.now += 31
    for _ in range(200):
        with pytest.raises(auth.InvalidToken):
            verifier.decode(random_kid())
    assert jwks.fetches == 2  # one refetch for the whole storm
    clock.now += 5
    for _ in range(50):
        with pytest.raises(auth.InvalidToken):
            verifier.decode(random_kid())
    assert jwks.fetches == 2


def test_concurrent_unknown_kids_share_one_fetch(jwks: _Jwks) -> None:
    _private_pem, jwk = _keypair()
    jwks.keys = [jwk]
    keys = auth.JWKSKeys(jwks.url, max_age=300, min_refetch=30)
    keys.key_for(jwk["kid"])
    keys.attempted_at = (keys.attempted_at or 0) - 60  # the interval has passed
    found = run_concurrently(lambda: keys.key_for(uuid.uuid4().hex), 16)
    assert found == [None] * 16
    assert jwks.fetches == 2


def test_a_new_key_is_picked_up_and_a_dropped_key_stops_verifying(jwks: _Jwks) -> None:
    old_pem, old_jwk = _keypair()
    new_pem, new_jwk = _keypair()
    jwks.keys = [old_jwk]
    clock = _Clock()
    verifier = _verifier(auth.JWKSKeys(jwks.url, max_age=60, min_refetch=10, clock=clock))
    old_token = sign_token(private_key=old_pem)
    assert verifier.decode(old_token)

    jwks.keys = [new_jwk, old_jwk]  # rotation: the new key is published, the old one kept
    clock.now += 11
    new_token = sign_token(private_key=new_pem)
    assert verifier.decode(new_token) and verifier.decode(old_token)

    jwks.keys = [new_jwk]  # the old key is dropped
    clock.now += 61
    with pytest.raises(auth.InvalidToken):
        verifier.decode(old_token)
    assert verifier.decode(new_token)


def test_a_document_cannot_relabel_a_key_with_another_kid(jwks: _Jwks) -> None:
    private_pem, jwk = _keypair()
    jwks.keys = [{**jwk, "kid": "forged"}]
    verifier = _verifier(auth.JWKSKeys(jwks.url, max_age=60, min_refetch=10))
    with pytest.raises(auth.InvalidToken):
        verifier.decode(sign_token(private_key=private_pem, headers={"kid": "forged"}))
    assert verifier.decode(sign_token(private_key=private_pem))


def test_an_unreachable_jwks_is_a_503_not_a_401() -> None:
    verifier = _verifier(auth.JWKSKeys("http://127.0.0.1:9/jwks.json", max_age=60, min_refetch=10, timeout=0.5))
    with pytest.raises(auth.KeysUnavailable):
        verifier.decode(sign_token())


def test_a_token_without_kid_is_refused() -> None:
    with pytest.raises(auth.InvalidToken):
        auth.get_verifier().decode(sign_token(headers={}))


@pytest.mark.parametrize("header", [{"jku": "http://127.0.0.1:9/evil.json"}, {"x5u": "http://127.0.0.1:9/evil.pem"}])
def test_key_urls_in_the_header_are_never_followed(header: dict[str, str]) -> None:
    other_pem, _ = generate_keypair()
    kid = jwt.get_unverified_header(sign_token())["kid"]
    forged = sign_token(private_key=other_pem, headers={"kid": kid, **header})
    with pytest.raises(auth.InvalidToken):
        auth.get_verifier().decode(forged)


def test_an_unreachable_jwks_is_not_fetched_on_every_request(jwks: _Jwks) -> None:
    private_pem, jwk = _keypair()
    jwks.keys = [jwk]
    clock = _Clock()
    keys = auth.JWKSKeys(jwks.url, max_age=60, min_refetch=10, clock=clock)
    verifier = _verifier(keys)
    token = sign_token(private_key=private_pem)
    assert verifier.decode(token)
    keys.url = "http://127.0.0.1:9/jwks.json"  # auth goes away
    clock.now += 61  # the cached set is stale
    for _ in range(100):
        assert verifier.decode(token)  # the last good keys still verify
    assert keys.fetches == 2  # one failed attempt, not one per request


def test_a_worker_that_started_while_auth_was_away_recovers_within_a_second(jwks: _Jwks) -> None:
    private_pem, jwk = _keypair()
    jwks.keys = [jwk]
    clock = _Clock()
    keys = auth.JWKSKeys("http://127.0.0.1:9/jwks.json", max_age=60, min_refetch=30, clock=clock)
    verifier = _verifier(keys)
    token = sign_token(private_key=private_pem)
    with pytest.raises(auth.KeysUnavailable):
        verifier.decode(token)  # no keys yet: a 503, not a 401
    with pytest.raises(auth.KeysUnavailable):
        verifier.decode(token)  # and no fetch storm: still within the retry interval
    assert keys.fetches == 1
    keys.url = jwks.url  # auth answers now
    clock.now += 1
    assert verifier.decode(token)
    assert keys.fetches == 2


def test_the_first_requests_of_a_new_worker_wait_for_its_one_fetch() -> None:
    """A worker (re)started under load gets many requests before its first JWKS answer arrives:
    every one of them waits for that fetch and verifies, none is a 503 or a 401."""
    private_pem, jwk = _keypair()

    def slow(request: object) -> tuple[int, dict[str, object]]:
        time.sleep(0.3)
        return 200, {"keys": [jwk]}

    with json_server(slow) as server:
        verifier = _verifier(auth.JWKSKeys(f"{server.url}/jwks.json", max_age=300, min_refetch=30))
        token = sign_token(private_key=private_pem)
        outcomes = run_concurrently(lambda: verifier.decode(token), 8)
        assert [type(outcome).__name__ if isinstance(outcome, Exception) else "verified" for outcome in outcomes] == [
            "verified"
        ] * 8
        assert server.requests == 1


def test_a_new_worker_fetches_its_keys_before_any_request(jwks: _Jwks) -> None:
    private_pem, jwk = _keypair()
    jwks.keys = [jwk]
    keys = auth.JWKSKeys(jwks.url, max_age=300, min_refetch=30)
    assert keys.warm_up(interval=0.01)
    assert jwks.fetches == 1
    assert _verifier(keys).decode(sign_token(private_key=private_pem))  # no fetch left for the request to wait on
    assert jwks.fetches == 1


def test_the_warm_up_keeps_trying_until_auth_answers(jwks: _Jwks) -> None:
    _private_pem, jwk = _keypair()
    jwks.keys = [jwk]
    keys = auth.JWKSKeys("http://127.0.0.1:9/jwks.json", max_age=300, min_refetch=30, timeout=0.2)
    thread = threading.Thread(target=keys.warm_up, kwargs={"interval": 0.05})
    thread.start()
    time.sleep(0.3)
    assert not keys.keys  # auth is not up yet
    keys.url = jwks.url  # now it is
    thread.join(timeout=10)
    assert keys.keys and jwk["kid"] in keys.keys
