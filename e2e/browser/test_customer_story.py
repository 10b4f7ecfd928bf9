"""A customer's whole story in the browser, with a member of staff signing in to fund their account."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from e2e.browser.conftest import PASSWORD, Tab, new_email
from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, emailed_code

NEW_PASSWORD = "another-long-browser-passphrase"


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_account(page: Page) -> None:
    page.get_by_role("button", name="Open account").click()
    expect(page.get_by_role("status").filter(has_text="is open")).to_be_visible()


def account_numbers(page: Page) -> list[str]:
    """The customer's account numbers, as the accounts page lists them (oldest last)."""
    headings = page.get_by_role("heading", name=re.compile(r"^Account ")).all_inner_texts()
    return [heading.removeprefix("Account ") for heading in headings]


def test_a_customer_signs_up_funds_an_account_shops_pays_and_manages_their_money(
    tabs: Callable[..., Tab], mail_dir: Path, product: dict[str, Any]
) -> None:
    email = new_email("story")
    customer = tabs("customer")
    page = customer.page

    # Anyone browses the catalog.
    customer.go("/")
    expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
    expect(page.get_by_role("navigation", name="Categories")).to_be_visible()
    customer.step("catalog")

    # Sign up: the verification page asks for the emailed code; the customer goes on without it.
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name (optional)").fill("Ada Lovelace")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Verify your email")).to_be_visible()
    customer.step("signed-up")

    # Two EUR accounts: the first will be funded, the second stays empty.
    page.get_by_role("link", name="Accounts").click()
    open_account(page)
    open_account(page)
    expect(page.get_by_role("heading", name=re.compile(r"^Account "))).to_have_count(2)
    funded, empty = sorted(account_numbers(page))
    customer.step("accounts")

    # A member of staff signs in, finds the customer and deposits 100.00 into the first account.
    staff = tabs("staff")
    staff.go("/")
    sign_in(staff.page, ADMIN_EMAIL, ADMIN_PASSWORD)
    staff.page.get_by_role("link", name="Staff").click()
    staff.page.get_by_role("link", name="Deposits and withdrawals").click()
    staff.page.get_by_label("Customer email or name").fill(email)
    staff.page.get_by_role("button", name="Find").click()
    staff.page.get_by_role("button", name=re.compile(f"^Use account {funded}")).click()
    staff.page.get_by_label("Amount (EUR)").fill("100.00")
    staff.page.get_by_label("Description (optional)").fill("Cash at the counter")
    staff.page.get_by_role("button", name="Post").click()
    expect(staff.page.get_by_text("Done: deposit of €100.00. New balance: €100.00.")).to_be_visible()
    staff.step("deposit")

    # The customer searches the catalog and opens the product.
    page.get_by_role("link", name="Catalog").click()
    page.get_by_label("Search").fill(product["name"])
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="1 product")).to_be_visible()
    customer.step("search")
    page.get_by_role("link", name=product["name"]).click()
    expect(page.get_by_role("heading", name=product["name"])).to_be_visible()
    expect(page.get_by_text("€35.00")).to_be_visible()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart 2 items")).to_be_visible()
    customer.step("product")

    # The cart places the order, which waits for payment.
    page.get_by_role("link", name="Cart 2 items").click()
    expect(page.get_by_text("Total: €70.00")).to_be_visible()
    page.get_by_label("Shipping address").fill("12 Analytical Row, London")
    customer.step("cart")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    customer.step("order")

    # Paying needs a verified address: the refusal leads to verification, and back to the order.
    customer.expected_statuses.add(403)
    page.get_by_label("Pay from").select_option(label=f"{empty} · €0.00")
    page.get_by_role("button", name="Pay €70.00").click()
    expect(page.get_by_role("alert")).to_contain_text("verif")
    customer.step("pay-unverified")
    page.get_by_role("link", name="Verify your email address").click()
    page.get_by_label("Code").fill(emailed_code(mail_dir, email, "Your verification code"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    expect(page.get_by_role("region", name="Email verification")).to_have_count(0)
    customer.step("verified")

    # From the empty account the payment is declined; from the funded one it goes through.
    customer.expected_statuses.add(402)
    page.get_by_label("Pay from").select_option(label=f"{empty} · €0.00")
    page.get_by_role("button", name="Pay €70.00").click()
    declined = page.get_by_role("alert")
    expect(declined).to_contain_text("Payment declined")
    expect(declined).to_contain_text("insufficient_funds")
    customer.step("declined")
    page.get_by_label("Pay from").select_option(label=f"{funded} · €100.00")
    page.get_by_role("button", name="Pay €70.00").click()
    expect(page.get_by_text("Payment received. Thank you!")).to_be_visible()
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    customer.step("paid")

    # The order history lists it; cancelling the paid order refunds it.
    page.get_by_role("link", name="Orders").click()
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    customer.step("orders")
    page.get_by_role("link", name=re.compile(r"^Order ")).first.click()
    page.get_by_label("Reason (optional)").fill("Ordered twice by mistake")
    page.get_by_role("button", name="Cancel and refund").click()
    expect(page.get_by_text("Refunded", exact=True)).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("paid → refunded")).to_be_visible()
    expect(history.get_by_text("Ordered twice by mistake")).to_be_visible()
    customer.step("refunded")

    # A transfer between the customer's own accounts.
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Transfer money").click()
    page.get_by_label("From").select_option(label=f"{funded} · €100.00")
    page.get_by_label("To", exact=True).select_option(label=f"My account {empty}")
    page.get_by_label("Amount").fill("25")
    page.get_by_label("Description (optional)").fill("Pocket money")
    page.get_by_role("button", name="Transfer").click()
    expect(page.get_by_text(f"Transferred €25.00. New balance of {funded}: €75.00.")).to_be_visible()
    customer.step("transfer")

    # The statement, newest first, with the running balance after each line.
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name=f"Account {funded}").click()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(5)
    expect(rows.nth(1)).to_contain_text("-€25.00")
    expect(rows.nth(1)).to_contain_text("€75.00")
    expect(rows.nth(2)).to_contain_text("+€70.00")
    expect(rows.nth(3)).to_contain_text("-€70.00")
    expect(rows.nth(4)).to_contain_text("+€100.00")
    customer.step("statement")

    # The inbox badge counts what happened; reading everything clears it.
    page.reload()
    badge = page.get_by_role("link", name=re.compile(r"^Inbox \d+ unread$"))
    expect(badge).to_be_visible(timeout=30_000)
    customer.step("inbox-badge")
    badge.click()
    expect(page.get_by_role("heading", name=re.compile("^Unread: ")).first).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    customer.step("inbox-read")

    # Profile: the name, then the password.
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Full name").fill("Augusta Ada King")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    customer.step("profile")

    # Signing out, then in again with the new password.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    customer.step("signed-out")
    sign_in(page, email, NEW_PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    customer.step("signed-in-again")
