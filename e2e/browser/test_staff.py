"""Staff, signed in through the browser: products, deposits and withdrawals, and the admins."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import requests
from playwright.sync_api import expect

from e2e import shop
from e2e.browser.conftest import Tab
from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack


def test_staff_create_and_edit_a_product_and_move_cash_for_a_customer(
    tabs: Callable[..., Tab], stack: Stack, http: requests.Session
) -> None:
    customer = shop.customer(stack, http)
    account_id = shop.funded_account(stack, http, customer, 0)
    email = http.get(f"{stack.url}/auth/api/me/", headers=customer, timeout=10).json()["email"]
    number = http.get(f"{stack.url}/bank/api/accounts/{account_id}/", headers=customer, timeout=10).json()["number"]
    staff = tabs("staff")
    page = staff.page

    staff.go("/sign-in")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Staff").click()
    for prefix in ("auth", "bank", "catalog", "orders", "payments", "notifications"):
        admin = page.get_by_role("link", name=f"{prefix} admin")
        expect(admin).to_have_attribute("href", f"{stack.url}/{prefix}/admin/")
    staff.step("staff-home")

    # A new product, then a change to it.
    sku = f"KETTLE-{uuid.uuid4().hex[:8]}"
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Name").fill("Gooseneck kettle")
    page.get_by_label("SKU").fill(sku)
    page.get_by_label("Price").fill("59.90")
    page.get_by_label("Stock").fill("7")
    page.get_by_label("Description").fill("Pours slowly, for filter coffee.")
    staff.step("new-product")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", name="Gooseneck kettle")).to_be_visible()
    expect(page.get_by_text("€59.90")).to_be_visible()
    staff.step("product-created")
    page.get_by_role("link", name="Edit this product").click()
    page.get_by_label("Price").fill("54.90")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("€54.90")).to_be_visible()
    staff.step("product-edited")

    # Cash in, then out, for the customer's account.
    page.get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Deposits and withdrawals").click()
    page.get_by_label("Customer email or name").fill(email)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=re.compile(f"^Use account {number}")).click()
    page.get_by_label("Amount (EUR)").fill("250")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Done: deposit of €250.00. New balance: €250.00.")).to_be_visible()
    staff.step("deposit")
    page.get_by_label("Withdrawal").check()
    page.get_by_label("Amount (EUR)").fill("40.50")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Done: withdrawal of €40.50. New balance: €209.50.")).to_be_visible()
    staff.step("withdrawal")
    assert shop.balance(stack, http, customer, account_id) == 20950
