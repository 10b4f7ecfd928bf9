"""At phone width (375 px) the pages fit the screen: nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from e2e.browser.conftest import PHONE, Tab


def test_the_shop_fits_a_phone(tabs: Callable[..., Tab], product: dict[str, Any]) -> None:
    phone = tabs("phone", PHONE)
    page = phone.page
    pages = {
        "catalog": "/",
        "product": f"/products/{product['id']}",
        "sign-up": "/sign-up",
        "reset-password": "/reset-password",
        "not-found": "/no/such/page",
    }
    for name, path in pages.items():
        phone.go(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if name == "product":
            page.get_by_role("button", name="Add to cart").click()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width} px wide"
        phone.step(name)
    phone.go("/cart")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.step("cart")
