"""The flows measured end to end rather than with wrk: full checkouts by concurrent customers, events
from the outbox to the consumer during a transfer load, and one transfer's event on an idle stack."""

from __future__ import annotations

import json
import random
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import stackstats
from bench.seeding import staff_token
from bench.settings import CHECKOUT_USERS, SECONDS, SUFFIX
from bench.wrk import wrk
from servicekit.waiting import poll_until
from stack.client import Customer, ShopClient, UnexpectedAnswer, new_key
from stack.db import connect, rows
from stack.events import EventFigures, Latencies, drain_events, notification_latencies
from stack.launch import LaunchedStack

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class CheckoutFigures(Latencies):
    """Order + pay, end to end through the gateway, by concurrent customers."""

    checkouts: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    hops: dict[str, float]
    usage: stackstats.Usage | None = None

    @property
    def rate(self) -> float:
        return self.checkouts / self.seconds


@dataclass
class _Checkouts:
    """What the customers' threads found: each paid checkout's time, and what failed."""

    product: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shop(self, url: str, customer: Customer, deadline: float) -> None:
        """Place an order and pay it, again and again, until `deadline`."""
        client = ShopClient(url)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            placed = client.place_order(customer.token, [{"product_id": self.product, "quantity": 1}])
            paid = None
            if placed.status_code == 201:
                paid = client.pay(customer.token, placed.json()["id"], customer.account_id)
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                if paid is not None and paid.status_code == 200 and paid.json()["status"] == "paid":
                    self.latencies.append(elapsed)
                else:
                    failed = paid if paid is not None else placed
                    self.failures.append(f"{failed.status_code} {failed.text[:200]}")

    def run(self, url: str, customers: list[Customer], duration: float) -> float:
        """Every customer shopping for `duration` s at once; return how long it took."""
        started = time.monotonic()
        with ThreadPoolExecutor(len(customers)) as pool:
            list(pool.map(lambda customer: self.shop(url, customer, started + duration), customers))
        return time.monotonic() - started


def measure_checkouts(stack: LaunchedStack, seconds: int, *, runner: int | None = None) -> CheckoutFigures:
    """Customers place an order and pay it, over and over, for `seconds`; then split the time per hop.

    With the stack's `runner` pid, the CPU and memory of the measured seconds are sampled too
    (not of the set-up: registering the customers hashes their passwords).

    The split comes from the logs, joined by request id: the gateway's access log (time in the
    order service) and the services' "service call" lines (time spent waiting for the catalog,
    payments and the bank).
    """
    client, admin = ShopClient(stack.url), staff_token(stack.url)
    product = client.add_product(
        admin, name="Bench checkout item", sku=f"CHECKOUT-{time.time_ns()}", price=100, stock=1_000_000
    )
    customers = [
        client.funded_customer(staff_token=admin, deposit=100_000_000, label="checkout") for _ in range(CHECKOUT_USERS)
    ]
    warm_up = _Checkouts(str(product["id"]))
    warm_up.run(stack.url, customers, 2)  # warm-up: connections, token keys, caches in every worker
    drain_events(suffix=SUFFIX)
    measured = _Checkouts(str(product["id"]))
    with stackstats.Sampler(runner) if runner else nullcontext() as sampler:
        elapsed = measured.run(stack.url, customers, seconds)
        drain_events(suffix=SUFFIX)  # the checkouts' events are part of what they cost
    for failure in sorted(set(measured.failures))[:5]:
        print(f"checkout failed: {failure}", flush=True)
    time.sleep(1.5)  # the gateway writes its access log out at least every second
    figures = CheckoutFigures(
        len(measured.latencies), len(measured.failures), elapsed, measured.latencies, hop_split(stack)
    )
    figures.usage = sampler.usage if sampler else None
    return figures


def hop_split(stack: LaunchedStack) -> dict[str, float]:
    """Median milliseconds per hop of a checkout, from the gateway's access log and the services' logs."""
    samples: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        samples.setdefault(name, []).append(value)

    for line in stack.access_log():
        entry = json.loads(line)
        path = _UUID.sub("{id}", entry["path"])
        if entry["method"] == "POST" and path in ("/orders/api/orders/", "/orders/api/orders/{id}/pay/"):
            try:
                add(f"gateway -> orders: POST {path}", float(entry["upstream_time"]) * 1000)
            except ValueError:
                continue
    for service in ("orders", "payments"):
        for line in stack.service_log(service).splitlines():
            if '"service call"' not in line:
                continue
            entry = json.loads(line)
            add(f"{service} -> {_UUID.sub('{id}', entry['call'])}", float(entry["duration_ms"]))
    return {name: statistics.median(values) for name, values in sorted(samples.items())}


def measure_events(stack_url: str, script: Path) -> EventFigures:
    """Load the stack with transfers, then follow every transfer.completed event to its notifications.

    Latency is from the event's row in the bank's outbox (written in the transfer's transaction)
    to the notification row the consumer wrote; the rate is events delivered per second of the
    whole window, from the first event written to the last one delivered.
    """
    [(start,)] = rows("bank", SUFFIX, "SELECT now()")
    wrk(stack_url, seconds=SECONDS, script=script)
    return notification_latencies(SUFFIX, start)


@dataclass
class IdleLatency(Latencies):
    """Transfers one at a time on an otherwise idle stack, each from its answer to its notification."""

    latencies_ms: list[float]  # from the transfer's answer to the sender's notification in the inbox
    missing: int  # transfers whose notification did not arrive in time
    from_outbox: EventFigures  # the same events, from their outbox row (written in the transfer's transaction)


_SENDERS_NOTIFICATION = (
    "SELECT min(created_at) FROM notifications_notification WHERE user_id = %s AND data->>'transaction_id' = %s"
)


def measure_idle_latency(stack_url: str, customers: list[Customer], count: int, *, timeout: float = 10) -> IdleLatency:
    """Send `count` transfers one at a time, each once the last one's notification is in the inbox.

    Latency is from the moment the transfer's answer arrived to the `created_at` of the sender's
    notification, the inbox row the consumer wrote for its event: both clocks are this machine's,
    and the row's own time is read, so polling for it (every 5 ms, by the inbox's index) adds
    nothing. A pause of random length (up to 0.1 s) before each transfer keeps the transfers out of
    step with anything that polls at a fixed interval.
    """
    client = ShopClient(stack_url)
    [(since,)] = rows("bank", SUFFIX, "SELECT now()")
    latencies: list[float] = []
    missing = 0
    with connect("notifications", suffix=SUFFIX) as inbox:
        for number in range(count):
            time.sleep(random.uniform(0, 0.1))
            source, target = customers[number % len(customers)], customers[(number + 1) % len(customers)]
            answer = client.transfer(source.token, source.account_id, target.account_id, 1, key=new_key())
            answered = datetime.now(UTC)
            if answer.status_code != 201:
                raise UnexpectedAnswer(answer)
            sender, transaction = source.user_id, str(answer.json()["id"])

            def notified(sender: str = sender, transaction: str = transaction) -> datetime | None:
                [(created,)] = inbox.execute(_SENDERS_NOTIFICATION, (sender, transaction)).fetchall()
                return created if isinstance(created, datetime) else None

            try:
                created = poll_until(notified, timeout=timeout, interval=0.005, message="the transfer's notification")
            except TimeoutError:
                missing += 1
                continue
            latencies.append((created - answered).total_seconds() * 1000)
    return IdleLatency(latencies, missing, notification_latencies(SUFFIX, since, timeout=timeout))
