"""The six admins through the gateway, with a real cookie jar: one staff sign-in, six coexisting sessions."""

from __future__ import annotations

import re
import uuid

import requests

from e2e import shop
from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack
from stack.services import SERVICES


def _sign_in(stack: Stack, session: requests.Session, prefix: str, email: str, password: str) -> requests.Response:
    login = f"{stack.url}/{prefix}/admin/login/"
    page = session.get(login, timeout=10)
    assert page.status_code == 200, (prefix, page.status_code)
    token = session.cookies.get(f"{prefix}_csrftoken", path=f"/{prefix}/")
    assert token, f"{prefix}: no CSRF cookie scoped to /{prefix}/"
    return session.post(
        login,
        data={"username": email, "password": password, "csrfmiddlewaretoken": token, "next": f"/{prefix}/admin/"},
        timeout=15,
        allow_redirects=False,
    )


def test_one_staff_sign_in_works_in_all_six_admins_and_the_sessions_coexist(stack: Stack) -> None:
    session = requests.Session()
    for service in SERVICES:
        answer = _sign_in(stack, session, service.name, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert answer.status_code == 302 and answer.headers["Location"] == f"/{service.name}/admin/", service.name
        cookie = next(c for c in session.cookies if c.name == f"{service.name}_sessionid")
        assert cookie.path == f"/{service.name}/"
    for service in SERVICES:  # signing in to one never signed anyone out of another
        index = session.get(f"{stack.url}/{service.name}/admin/", timeout=10, allow_redirects=False)
        assert index.status_code == 200, service.name
        assert "Site administration" in index.text
        stylesheet = re.search(r'href="(/[a-z]+/static/admin/css/base\.css)"', index.text)
        assert stylesheet and stylesheet.group(1).startswith(f"/{service.name}/static/"), service.name
        assert session.get(f"{stack.url}{stylesheet.group(1)}", timeout=10).status_code == 200


def test_a_customer_cannot_sign_in_to_an_admin(stack: Stack, http: requests.Session) -> None:
    email = f"not-staff-{uuid.uuid4().hex[:8]}@example.com"
    http.post(f"{stack.url}/auth/api/register/", json={"email": email, "password": "a-long-e2e-passphrase"}, timeout=10)
    session = requests.Session()
    for prefix in ("bank", "catalog"):
        refused = _sign_in(stack, session, prefix, email, "a-long-e2e-passphrase")
        assert refused.status_code == 200 and "staff account" in refused.text
        index = session.get(f"{stack.url}/{prefix}/admin/", timeout=10, allow_redirects=False)
        assert index.status_code == 302 and "/admin/login/" in index.headers["Location"]


def test_the_admin_login_enforces_csrf(stack: Stack) -> None:
    session = requests.Session()
    session.get(f"{stack.url}/bank/admin/login/", timeout=10)
    forged = session.post(
        f"{stack.url}/bank/admin/login/", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    )
    assert forged.status_code == 403


def test_freezing_an_account_in_the_bank_admin_goes_through_the_bank(stack: Stack, http: requests.Session) -> None:
    customer = shop.customer(stack, http)
    source = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=customer, timeout=10).json()
    target = http.post(f"{stack.url}/bank/api/accounts/", json={"currency": "EUR"}, headers=customer, timeout=10).json()

    session = requests.Session()
    assert _sign_in(stack, session, "bank", ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
    changelist = f"{stack.url}/bank/admin/ledger/account/"
    page = session.get(changelist, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    done = session.post(
        changelist,
        data={"action": "freeze", "_selected_action": source["id"], "csrfmiddlewaretoken": token.group(1)},
        timeout=10,
    )
    assert done.status_code == 200 and "frozen" in done.text

    account = http.get(f"{stack.url}/bank/api/accounts/{source['id']}/", headers=customer, timeout=10).json()
    assert account["status"] == "frozen"
    transfer = http.post(
        f"{stack.url}/bank/api/transfers/",
        json={"source_account_id": source["id"], "target_account_id": target["id"], "amount": 1},
        headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert transfer.status_code == 409 and transfer.json()["code"] == "account_not_active"
