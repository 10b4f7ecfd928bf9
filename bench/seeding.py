"""What the scenarios need in the shop before they run: funded accounts, products, users who sign in."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import lua
from bench.settings import ACCOUNT_COUNT, ADMIN, PRODUCT_COUNT
from stack.client import Customer, ShopClient


def staff_token(base_url: str) -> str:
    """An access token of the benchmark's administrator."""
    return str(ShopClient(base_url).sign_in(ADMIN["email"], ADMIN["password"])["access"])


def funded_customers(base_url: str) -> list[Customer]:
    """Register users who move money, each with one account of their own that staff funded."""
    client, admin = ShopClient(base_url), staff_token(base_url)
    return [client.funded_customer(staff_token=admin, deposit=10_000_000, label="bench") for _ in range(ACCOUNT_COUNT)]


def transfer_script(work: Path, customers: list[Customer]) -> Path:
    """The wrk script that moves money among the customers' accounts, between random pairs."""
    return lua.transfer_script(work, [(customer.token, customer.account_id) for customer in customers])


def seed_products(base_url: str) -> None:
    """Add enough products that the anonymous list is a full page, as a shop's front page is."""
    client, admin = ShopClient(base_url), staff_token(base_url)
    for number in range(PRODUCT_COUNT):
        client.add_product(
            admin,
            name=f"Bench product {number}",
            sku=f"BENCH-{number}-{time.time_ns()}",
            description="A product of the benchmark catalog, with a description of a realistic length." * 2,
            price=100 + number,
            stock=1000,
        )


def sign_in_users(base_url: str, count: int) -> list[tuple[str, str]]:
    """Register `count` users for the sign-in and refresh scenarios; return their emails and passwords."""
    users = [(f"bench-signin-{number}-{time.time_ns()}@example.com", "bench-passphrase-1") for number in range(count)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda user: ShopClient(base_url).register(*user), users))
    return users


def refresh_tokens(base_url: str, users: list[tuple[str, str]]) -> list[str]:
    """A fresh refresh token of each user (each sign-in gives one; each is good for one refresh)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda user: str(ShopClient(base_url).sign_in(*user)["refresh"]), users))
