"""A customer who forgot their password resets it with the emailed code, then signs in with the new one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import expect

from e2e.browser.conftest import PASSWORD, Tab, new_email
from e2e.conftest import Stack, emailed_code

NEW_PASSWORD = "a-brand-new-browser-passphrase"


def test_a_forgotten_password_is_reset_with_the_emailed_code(
    tabs: Callable[..., Tab], stack: Stack, http: requests.Session, mail_dir: Path
) -> None:
    email = new_email("reset")
    registered = http.post(f"{stack.url}/auth/api/register/", json={"email": email, "password": PASSWORD}, timeout=10)
    assert registered.status_code == 201, registered.text
    customer = tabs("customer")
    page = customer.page

    customer.go("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_text(f"If {email} has an account, a code is on its way there.")).to_be_visible()
    customer.step("code-sent")

    page.get_by_label("Code").fill(emailed_code(mail_dir, email, "Your password reset code"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password has been changed. Sign in with it.")).to_be_visible()
    customer.step("changed")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # The reset code reached the address, so it is verified: no banner asks for it.
    expect(page.get_by_role("region", name="Email verification")).to_have_count(0)
    customer.step("signed-in")
