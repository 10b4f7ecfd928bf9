"""Identity for real people, through the gateway: codes by email, password reset, standard tokens, lockouts.

Emails are written as files (EMAIL_URL=filemail://, see conftest.py), where the tests read the codes.
A second client address is a second loopback address (127.0.0.2): the gateway tells the services
the address it saw, whatever X-Real-IP a client sends.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import requests
import urllib3

from e2e import shop
from e2e.conftest import Stack, emailed_code

PASSWORD = "a-long-e2e-passphrase"
NEW_PASSWORD = "another-long-e2e-passphrase"
ELSEWHERE = "127.0.0.2"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _register(stack: Stack, http: requests.Session) -> dict[str, Any]:
    email = f"codes-{uuid.uuid4().hex[:12]}@example.com"
    response = http.post(f"{stack.url}/auth/api/register/", json={"email": email, "password": PASSWORD}, timeout=10)
    assert response.status_code == 201, response.text
    return {"email": email, **response.json()}


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_registration_emails_a_code_and_money_moves_only_once_the_address_is_verified(
    stack: Stack, http: requests.Session, mail_dir: Path
) -> None:
    user = _register(stack, http)
    assert user["user"]["email_verified"] is False and _claims(user["access"])["email_verified"] is False
    token = user["access"]
    source = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=_bearer(token), timeout=10)
    target = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=_bearer(token), timeout=10)
    assert source.status_code == target.status_code == 201
    deposit = http.post(
        f"{stack.url}/bank/api/deposits/",
        json={"account_id": source.json()["id"], "amount": 5_000},
        headers=shop.keyed(shop.staff(stack, http)),
        timeout=10,
    )
    assert deposit.status_code == 201
    move = {"source_account_id": source.json()["id"], "target_account_id": target.json()["id"], "amount": 100}
    refused = http.post(f"{stack.url}/bank/api/transfers/", json=move, headers=shop.keyed(_bearer(token)), timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "email_not_verified"
    product = shop.product(stack, http, price=500, stock=5)
    placed = shop.order(stack, http, _bearer(token), product, 1)  # browsing and ordering stay open
    assert placed.status_code == 201, placed.text
    unpaid = shop.pay(stack, http, _bearer(token), placed.json()["id"], source.json()["id"])
    assert unpaid.status_code == 403 and unpaid.json()["code"] == "email_not_verified"

    code = emailed_code(mail_dir, user["email"], "Your verification code")
    wrong = http.post(
        f"{stack.url}/auth/api/email/verify/", json={"code": _other(code)}, headers=_bearer(token), timeout=10
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_code"
    verified = http.post(f"{stack.url}/auth/api/email/verify/", json={"code": code}, headers=_bearer(token), timeout=10)
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["email_verified"] is True
    token = verified.json()["access"]
    assert _claims(token)["email_verified"] is True
    moved = http.post(f"{stack.url}/bank/api/transfers/", json=move, headers=shop.keyed(_bearer(token)), timeout=10)
    assert moved.status_code == 201, moved.text
    paid = shop.pay(stack, http, _bearer(token), placed.json()["id"], source.json()["id"])
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    # A refreshed token says so too: refresh re-reads the user.
    refreshed = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": user["refresh"]}, timeout=10)
    assert _claims(refreshed.json()["access"])["email_verified"] is True
    # The code appears in no answer and in no log line of any process of the stack.
    assert code not in wrong.text + verified.text + refused.text
    for log in stack.log_dir.iterdir():
        assert not re.search(rf"(?<![0-9a-f]){code}(?![0-9a-f])", log.read_text()), log.name


def test_a_new_code_replaces_the_old_one_and_is_sent_at_most_every_so_often(
    stack: Stack, http: requests.Session, mail_dir: Path
) -> None:
    user = _register(stack, http)
    first = emailed_code(mail_dir, user["email"], "Your verification code")
    resend = f"{stack.url}/auth/api/email/verify/resend/"
    too_soon = http.post(resend, headers=_bearer(user["access"]), timeout=10)
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "code_recently_sent"
    time.sleep(int(too_soon.headers["Retry-After"]) + 0.2)
    again = http.post(resend, headers=_bearer(user["access"]), timeout=10)
    assert again.status_code == 202, again.text
    second = emailed_code(mail_dir, user["email"], "Your verification code", count=2)
    verify = f"{stack.url}/auth/api/email/verify/"
    if first != second:
        stale = http.post(verify, json={"code": first}, headers=_bearer(user["access"]), timeout=10)
        assert stale.status_code == 400 and stale.json()["code"] == "invalid_code"
    assert http.post(verify, json={"code": second}, headers=_bearer(user["access"]), timeout=10).status_code == 200
    done = http.post(resend, headers=_bearer(user["access"]), timeout=10)
    assert done.status_code == 409 and done.json()["code"] == "email_already_verified"


def test_a_forgotten_password_is_reset_with_an_emailed_code_once(
    stack: Stack, http: requests.Session, mail_dir: Path
) -> None:
    user = _register(stack, http)
    reset = f"{stack.url}/auth/api/password/reset/"
    unknown = http.post(reset, json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com"}, timeout=10)
    known = http.post(reset, json={"email": user["email"]}, timeout=10)
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()  # nothing tells whether the address has an account
    code = emailed_code(mail_dir, user["email"], "Your password reset code")
    confirm = f"{stack.url}/auth/api/password/reset/confirm/"
    body = {"email": user["email"], "code": code, "new_password": NEW_PASSWORD}
    wrong = http.post(confirm, json={**body, "code": _other(code)}, timeout=10)
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_code"
    weak = http.post(confirm, json={**body, "new_password": "12345678901"}, timeout=10)
    assert weak.status_code == 400 and "new_password" in weak.json()["fields"]
    changed = http.post(confirm, json=body, timeout=10)
    assert changed.status_code == 200, changed.text
    assert http.post(confirm, json=body, timeout=10).json()["code"] == "invalid_code"  # it works once
    sign_in = f"{stack.url}/auth/api/token/"
    assert http.post(sign_in, json={"email": user["email"], "password": PASSWORD}, timeout=10).status_code == 401
    assert http.post(sign_in, json={"email": user["email"], "password": NEW_PASSWORD}, timeout=10).status_code == 200
    old_session = http.post(f"{stack.url}/auth/api/token/refresh/", json={"refresh": user["refresh"]}, timeout=10)
    assert old_session.status_code == 401  # every session of the account ended


def test_wrong_reset_codes_count_like_wrong_passwords(stack: Stack, http: requests.Session) -> None:
    user = _register(stack, http)
    http.post(f"{stack.url}/auth/api/password/reset/", json={"email": user["email"]}, timeout=10)
    confirm = f"{stack.url}/auth/api/password/reset/confirm/"
    answers = [
        http.post(
            confirm, json={"email": user["email"], "code": f"{n:06d}", "new_password": NEW_PASSWORD}, timeout=10
        ).json()["code"]
        for n in range(6)
    ]
    assert answers[-1] == "login_locked", answers


def test_the_password_change_counts_wrong_old_passwords_and_locks(stack: Stack, http: requests.Session) -> None:
    user = _register(stack, http)
    change = f"{stack.url}/auth/api/me/password/"
    headers = _bearer(user["access"])
    wrong = [
        http.post(change, json={"old_password": f"guess-{n}-xxxxxxxx", "new_password": NEW_PASSWORD}, headers=headers,
                  timeout=10)
        for n in range(5)
    ]  # fmt: skip
    assert [answer.status_code for answer in wrong] == [400] * 5
    locked = http.post(
        change, json={"old_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=headers, timeout=10
    )
    assert locked.status_code == 429 and locked.json()["code"] == "login_locked"


def _post_from(address: str, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """POST from another loopback address (a client elsewhere, as the gateway sees it)."""
    with urllib3.PoolManager(source_address=(address, 0)) as pool:
        return pool.request("POST", url, json=body, headers=headers or {}, timeout=10)


def test_guessing_locks_the_guessing_address_only_and_the_owner_gets_in_from_elsewhere(
    stack: Stack, http: requests.Session
) -> None:
    user = _register(stack, http)
    sign_in = f"{stack.url}/auth/api/token/"
    for attempt in range(5):
        assert (
            http.post(sign_in, json={"email": user["email"], "password": f"guess-{attempt}"}, timeout=10).status_code
            == 401
        )
    right = {"email": user["email"], "password": PASSWORD}
    locked = http.post(sign_in, json=right, timeout=10)
    assert locked.status_code == 429 and locked.json()["code"] == "login_locked"
    # A client cannot claim another address: the gateway sets X-Real-IP itself.
    spoofed = http.post(sign_in, json=right, headers={"X-Real-IP": "198.51.100.7"}, timeout=10)
    assert spoofed.status_code == 429 and spoofed.json()["code"] == "login_locked"
    # From elsewhere the owner is slowed down, not locked out: after the pause it says, they get in.
    deadline = time.monotonic() + 10
    while True:
        answer = _post_from(ELSEWHERE, sign_in, right)
        if answer.status == 200:
            break
        assert answer.status == 429 and answer.json()["code"] == "login_throttled", answer.data
        assert time.monotonic() < deadline
        time.sleep(float(answer.headers["Retry-After"]))
    assert "access" in answer.json()
    assert http.post(sign_in, json=right, timeout=10).status_code == 429  # the guessing address stays locked


def test_look_alike_and_invisible_addresses_are_refused(stack: Stack, http: requests.Session) -> None:
    tag = uuid.uuid4().hex[:8]
    for email in (
        f"bars-adm\u0131n-{tag}@example.com",  # a dotless i
        f"b\u0430rs-admin-{tag}@example.com",  # a Cyrillic a
        f"bars-admin-{tag}@example.com\u200b",  # a zero-width space after it
        f"bars-\u200badmin-{tag}@example.com",
        f"bars-admin-{tag}@ex\u0430mple.com",  # a look-alike domain
    ):
        response = http.post(f"{stack.url}/auth/api/register/", json={"email": email, "password": PASSWORD}, timeout=10)
        assert response.status_code == 400, (email, response.text)
        assert "email" in response.json()["fields"], response.text
    # Full-width letters and upper case are the same address, stored in one form.
    registered = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"  \uff22ars-Admin-{tag}@Example.COM ", "password": PASSWORD},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["email"] == f"bars-admin-{tag}@example.com"
    again = http.post(
        f"{stack.url}/auth/api/register/", json={"email": f"bars-admin-{tag}@example.com", "password": PASSWORD},
        timeout=10,
    )  # fmt: skip
    assert again.status_code == 400


def test_a_standard_jose_library_finds_the_keys_and_tells_access_from_refresh_tokens(
    stack: Stack, http: requests.Session
) -> None:
    user = _register(stack, http)
    discovery = http.get(f"{stack.url}/auth/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    document = discovery.json()
    assert document["jwks_uri"] == f"{stack.url}/auth/.well-known/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = jwt.PyJWKClient(document["jwks_uri"])
    assert jwt.get_unverified_header(user["access"])["typ"] == "at+jwt"
    claims = jwt.decode(
        user["access"],
        keys.get_signing_key_from_jwt(user["access"]).key,
        algorithms=document["id_token_signing_alg_values_supported"],
        audience="shop",
        issuer=document["issuer"],
    )
    assert claims["user_id"] == user["user"]["id"]
    refresh_key = keys.get_signing_key_from_jwt(user["refresh"]).key
    try:
        jwt.decode(user["refresh"], refresh_key, algorithms=["RS256"], audience="shop", issuer=document["issuer"])
    except jwt.InvalidAudienceError:
        pass
    else:
        raise AssertionError("a refresh token passed an access-token check")
    for service in ("bank", "orders"):
        refused = http.get(f"{stack.url}/{service}/api/whoami/", headers=_bearer(user["refresh"]), timeout=10)
        assert refused.status_code == 401, (service, refused.text)


def test_a_rotated_refresh_token_used_again_ends_that_session_for_everyone(
    stack: Stack, http: requests.Session
) -> None:
    user = _register(stack, http)
    refresh = f"{stack.url}/auth/api/token/refresh/"
    rotated = http.post(refresh, json={"refresh": user["refresh"]}, timeout=10)
    assert rotated.status_code == 200
    reused = http.post(refresh, json={"refresh": user["refresh"]}, timeout=10)  # a thief's copy
    assert reused.status_code == 401 and reused.json()["code"] == "token_revoked"
    assert http.post(refresh, json={"refresh": rotated.json()["refresh"]}, timeout=10).status_code == 401
