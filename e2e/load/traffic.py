"""The load: the shop opened for it, then transfer clients and shoppers in threads for as long as a phase lasts.

Each client keeps books of what it was told (balances, orders' fates, transfers made), which the
databases must agree with at the end.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from e2e.load import plan
from e2e.load.clients import OutcomeUnknown, RetryingClient
from e2e.load.recording import Recorder
from stack.client import Customer, ShopClient, error_code, new_key


class Books:
    """What the clients were told: the balance each account must have, and every order's fate."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.balances: dict[str, int] = defaultdict(int)
        self.unknown: set[str] = set()  # accounts touched by a request whose outcome never came
        self.deposited = 0
        self.withdrawn = 0
        self.outcomes: Counter[str] = Counter()
        self.orders: dict[str, str] = {}  # order id -> the status the client was last told
        self.sold_out: Counter[str] = Counter()  # product -> orders refused for lack of stock
        self.transfers: set[str] = set()  # the Idempotency-Keys of the transfers the bank said it made

    def move(self, account: str, amount: int) -> None:
        with self._lock:
            self.balances[account] += amount

    def unknown_outcome(self, *accounts: str) -> None:
        with self._lock:
            self.unknown.update(accounts)

    def count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1

    def order(self, order_id: str, status: str) -> None:
        with self._lock:
            self.orders[order_id] = status

    def transferred(self, key: str) -> None:
        with self._lock:
            self.transfers.add(key)

    def refused_for_stock(self, product: str) -> None:
        with self._lock:
            self.sold_out[product] += 1


@dataclass(frozen=True)
class Catalog:
    """The products the shoppers buy: plenty of some, a few units of the phase's scarce one."""

    plentiful: tuple[str, ...]
    scarce: dict[str, str]  # phase -> product
    initial_stock: dict[str, int]


def open_the_shop(url: str, books: Books) -> tuple[list[Customer], Catalog]:
    """Customers with funded accounts (a few poor ones), plentiful products and one scarce product per phase."""
    client = ShopClient(url)
    staff = str(client.sign_in(plan.ADMIN["email"], plan.ADMIN["password"])["access"])
    deposits = [plan.POOR_DEPOSIT] * plan.POOR_CUSTOMERS + [plan.RICH_DEPOSIT] * (plan.CUSTOMERS - plan.POOR_CUSTOMERS)

    def funded(amount: int) -> Customer:
        return ShopClient(url).funded_customer(staff_token=staff, deposit=amount, label="load")

    with ThreadPoolExecutor(8) as pool:
        customers = list(pool.map(funded, deposits))
        rich = customers[plan.POOR_CUSTOMERS :]
        list(pool.map(lambda c: ShopClient(url).withdraw(staff, c.account_id, plan.WITHDRAWAL), rich))
    for customer, amount in zip(customers, deposits, strict=True):
        books.move(customer.account_id, amount - (plan.WITHDRAWAL if customer in rich else 0))
    books.deposited, books.withdrawn = sum(deposits), plan.WITHDRAWAL * len(rich)
    stock: dict[str, int] = {}

    def add(name: str, price: int, units: int) -> str:
        product = str(client.add_product(staff, name=name, price=price, stock=units)["id"])
        stock[product] = units
        return product

    plentiful = tuple(add(name, price, 100_000) for name, price in (("Load kettle", 1_250), ("Load grinder", 2_990)))
    scarce = {phase: add(f"Scarce ({phase})", 4_500, plan.SCARCE_STOCK) for phase in plan.PHASES}
    return customers, Catalog(plentiful, scarce, stock)


class Load:
    """Transfer clients and shoppers in background threads, for as long as a phase lasts."""

    def __init__(
        self,
        url: str,
        recorder: Recorder,
        books: Books,
        customers: list[Customer],
        catalog: Catalog,
        *,
        transferers: int,
        shoppers: int,
    ) -> None:
        self.url = url
        self.recorder = recorder
        self.books = books
        self.customers = customers
        self.catalog = catalog
        self.transferers = transferers
        self.shoppers = shoppers
        self.errors: list[str] = []

    @contextmanager
    def running(self, phase: str) -> Iterator[None]:
        stop = threading.Event()
        steps = [self._transfer] * self.transferers + [self._shop] * self.shoppers
        threads = [threading.Thread(target=self._guard, args=(step, stop)) for step in steps]
        with self.recorder.in_phase(phase):
            for thread in threads:
                thread.start()
            try:
                yield
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=plan.GIVE_UP_AFTER + 60)

    def _guard(self, step: Callable[[RetryingClient, random.Random], None], stop: threading.Event) -> None:
        client, rng = RetryingClient(self.url, self.recorder), random.Random()
        while not stop.is_set():
            try:
                step(client, rng)
            except Exception as error:  # a client bug must show, not silently stop the load
                self.errors.append(f"{type(error).__name__}: {error}")
                return

    def _transfer(self, client: RetryingClient, rng: random.Random) -> None:
        source, target = rng.sample(self.customers, 2)
        amount = rng.randint(1, 500)
        key = new_key()
        try:
            answer = client.transfer(source.token, source.account_id, target.account_id, amount, key=key)
        except OutcomeUnknown:
            self.books.unknown_outcome(source.account_id, target.account_id)
            self.books.count("transfer: outcome unknown")
            return
        if answer.status_code == 201:
            self.books.move(source.account_id, -amount)
            self.books.move(target.account_id, amount)
            self.books.transferred(key)
            self.books.count("transfer: moved")
        elif answer.status_code == 409 and error_code(answer) == "insufficient_funds":
            self.books.count("transfer: refused, insufficient funds")
        else:
            self.books.count(f"transfer: unexpected {answer.status_code} {error_code(answer)}")

    def _shop(self, client: RetryingClient, rng: random.Random) -> None:
        """Order one product and pay for it; now and then cancel before or after paying."""
        customer = rng.choice(self.customers)
        scarce = self.catalog.scarce.get(self.recorder.phase)
        product = scarce if scarce and rng.random() < 0.35 else rng.choice(self.catalog.plentiful)
        try:
            placed = client.place_order(customer.token, [{"product_id": product, "quantity": rng.randint(1, 2)}])
        except OutcomeUnknown:
            self.books.count("checkout: order outcome unknown")
            return
        if placed.status_code != 201:
            if error_code(placed) == "insufficient_stock":
                self.books.refused_for_stock(product)
                self.books.count("checkout: order refused, sold out")
            else:
                self.books.count(f"checkout: order unexpected {placed.status_code} {error_code(placed)}")
            return
        order = placed.json()
        self.books.order(order["id"], "pending")
        if rng.random() < 0.05:
            self._cancel(client, customer, order, paid=False)
            return
        self._pay(client, rng, customer, order)

    def _pay(self, client: RetryingClient, rng: random.Random, customer: Customer, order: dict[str, Any]) -> None:
        try:
            paid = client.pay(customer.token, order["id"], customer.account_id)
        except OutcomeUnknown:
            self.books.unknown_outcome(customer.account_id)
            self.books.count("checkout: payment outcome unknown")
            self.books.order(order["id"], "unknown")
            return
        status = paid.json().get("status") if paid.status_code == 200 else None
        if status == "paid":
            self.books.move(customer.account_id, -order["total"])
            self.books.order(order["id"], "paid")
            self.books.count("checkout: paid")
            if rng.random() < 0.1:
                self._cancel(client, customer, order, paid=True)
        elif paid.status_code == 402 and paid.json()["order"]["status"] == "pending":
            # Declined (insufficient funds, say): the code says why, the order is still pending.
            self.books.count(f"checkout: payment failed, {error_code(paid)}")
            self._cancel(client, customer, order, paid=False)
        else:
            self.books.count(f"checkout: payment unexpected {paid.status_code} {error_code(paid)}")
            self.books.order(order["id"], "unknown")

    def _cancel(self, client: RetryingClient, customer: Customer, order: dict[str, Any], *, paid: bool) -> None:
        try:
            answer = client.cancel(customer.token, order["id"])
        except OutcomeUnknown:
            answer = None
        status = answer.json().get("status") if answer is not None and answer.status_code == 200 else None
        if paid and status == "refunded":
            self.books.move(customer.account_id, order["total"])
            self.books.order(order["id"], "refunded")
            self.books.count("checkout: refunded")
        elif not paid and status == "cancelled":
            self.books.order(order["id"], "cancelled")
            self.books.count("checkout: cancelled unpaid")
        else:
            if paid:
                self.books.unknown_outcome(customer.account_id)
            self.books.order(order["id"], "unknown")
            told = f"{answer.status_code} {error_code(answer)}" if answer is not None else "no answer"
            self.books.count(f"checkout: cancel unexpected {told}")
