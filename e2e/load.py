"""The machinery of the load and fault tests: clients that retry as real ones do, their bookkeeping,
the stack's processes, readiness watching, and the invariants read from every service's database.

A client sends every money-moving request with an Idempotency-Key and, when it gets a 5xx, no
answer, or "still in progress" (409 idempotency_in_progress), sends the very same request again
with the same key until it gets a definitive answer. Every attempt is recorded with the times it
was sent and answered, so that a 5xx can be placed inside or outside a fault's window.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from stack.launch import LaunchedStack
from stack.services import SERVICES
from stack.traffic import PRODUCERS, Customer, database

SERVICE_NAMES = tuple(service.name for service in SERVICES)
GIVE_UP_AFTER = 90.0  # seconds a client keeps retrying one request before calling its outcome unknown


def now() -> float:
    return time.monotonic()


# --- Attempts, phases and fault windows ---------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One HTTP request as a client sent it: when, in which phase, and what came back."""

    phase: str
    operation: str
    sent: float
    answered: float
    status: int | None  # None: no answer (timeout, connection refused or reset)
    code: str = ""  # the error code of a 4xx/5xx body, or the exception's name
    retry: bool = False  # a resend of an earlier attempt, with the same key

    @property
    def failed(self) -> bool:
        """A 5xx or no answer at all: what a client retries."""
        return self.status is None or self.status >= 500

    @property
    def in_progress(self) -> bool:
        return self.status == 409 and self.code == "idempotency_in_progress"


@dataclass
class Fault:
    """A fault's window: from the moment it was injected until everything was ready again."""

    name: str
    started: float
    ended: float = 0.0  # the dependency was given back (the same as started for a kill)
    recovered: float = 0.0  # every service answered /ready/ with 200 again
    notes: dict[str, Any] = field(default_factory=dict)

    def covers(self, attempt: Attempt) -> bool:
        """Whether the attempt was in flight during the window (sent before its end, answered after its start)."""
        return attempt.sent <= (self.recovered or float("inf")) and attempt.answered >= self.started


class Recorder:
    """Every attempt of every client, the current phase, and the faults' windows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.phase = "setup"
        self.phases: dict[str, tuple[float, float]] = {}
        self.faults: list[Fault] = []

    def add(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)

    @contextmanager
    def in_phase(self, name: str) -> Iterator[None]:
        self.phase = name
        started = now()
        try:
            yield
        finally:
            self.phases[name] = (started, now())

    def fault(self, name: str) -> Fault:
        fault = Fault(name, started=now())
        self.faults.append(fault)
        return fault

    def of_phase(self, phase: str) -> list[Attempt]:
        with self._lock:
            return [attempt for attempt in self.attempts if attempt.phase == phase]

    def failures_outside_faults(self, phase: str | None = None) -> list[Attempt]:
        """5xx or unanswered attempts that were not in flight during any fault's window: each one is a bug."""
        attempts = self.of_phase(phase) if phase else list(self.attempts)
        return [
            attempt
            for attempt in attempts
            if attempt.failed and not any(fault.covers(attempt) for fault in self.faults)
        ]


# --- Clients ------------------------------------------------------------------------------------

_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def _code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


class Client:
    """Sends a request until it gets a definitive answer, always with the same Idempotency-Key."""

    def __init__(self, base_url: str, recorder: Recorder) -> None:
        self.base_url = base_url
        self.recorder = recorder

    def post(
        self, operation: str, path: str, body: dict[str, Any], headers: dict[str, str], *, key: str | None = None
    ) -> requests.Response | None:
        """The definitive answer (2xx or a refusal), or None if none came within GIVE_UP_AFTER."""
        key = key or uuid.uuid4().hex
        sent_headers = {**headers, "Idempotency-Key": key}
        deadline = now() + GIVE_UP_AFTER
        for number in range(10_000):
            sent = now()
            response: requests.Response | None
            try:
                response = _session().post(f"{self.base_url}{path}", json=body, headers=sent_headers, timeout=(5, 30))
            except requests.RequestException as error:
                response, status, code = None, None, type(error).__name__
            else:
                status, code = response.status_code, _code(response) if response.status_code >= 400 else ""
            attempt = Attempt(self.recorder.phase, operation, sent, now(), status, code, retry=number > 0)
            self.recorder.add(attempt)
            if response is not None and not attempt.failed and not attempt.in_progress:
                return response
            if now() > deadline:
                return None
            time.sleep(min(2.0, 0.1 * 2 ** min(number, 5)) * random.uniform(0.5, 1.0))
        return None


# --- The clients' own books ---------------------------------------------------------------------


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


@dataclass(frozen=True)
class Catalog:
    """The products the shoppers buy: plenty of some, a few units of the phase's scarce one."""

    plentiful: tuple[str, ...]
    scarce: dict[str, str]  # phase -> product
    initial_stock: dict[str, int]


class Load:
    """Transfer clients and shoppers in background threads, for as long as a phase lasts."""

    def __init__(
        self,
        stack: LaunchedStack,
        recorder: Recorder,
        books: Books,
        customers: list[Customer],
        catalog: Catalog,
        *,
        transferers: int,
        shoppers: int,
    ) -> None:
        self.client = Client(stack.url, recorder)
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
        threads = [threading.Thread(target=self._guard, args=(self._transfer, stop)) for _ in range(self.transferers)]
        threads += [threading.Thread(target=self._guard, args=(self._shop, stop)) for _ in range(self.shoppers)]
        with self.recorder.in_phase(phase):
            for thread in threads:
                thread.start()
            try:
                yield
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=GIVE_UP_AFTER + 60)

    def _guard(self, step: Callable[[random.Random], None], stop: threading.Event) -> None:
        rng = random.Random()
        while not stop.is_set():
            try:
                step(rng)
            except Exception as error:  # a client bug must show, not silently stop the load
                self.errors.append(f"{type(error).__name__}: {error}")
                return

    def _transfer(self, rng: random.Random) -> None:
        source, target = rng.sample(self.customers, 2)
        amount = rng.randint(1, 500)
        body = {"source_account_id": source.account_id, "target_account_id": target.account_id, "amount": amount}
        key = uuid.uuid4().hex
        answer = self.client.post("transfer", "/bank/api/transfers/", body, source.headers, key=key)
        if answer is None:
            self.books.unknown_outcome(source.account_id, target.account_id)
            self.books.count("transfer: outcome unknown")
        elif answer.status_code == 201:
            self.books.move(source.account_id, -amount)
            self.books.move(target.account_id, amount)
            with self.books._lock:
                self.books.transfers.add(key)
            self.books.count("transfer: moved")
        elif answer.status_code == 409 and _code(answer) == "insufficient_funds":
            self.books.count("transfer: refused, insufficient funds")
        else:
            self.books.count(f"transfer: unexpected {answer.status_code} {_code(answer)}")

    def _shop(self, rng: random.Random) -> None:
        """Order one product and pay for it; now and then cancel before or after paying."""
        customer = rng.choice(self.customers)
        scarce = self.catalog.scarce.get(self.recorder.phase)
        product = scarce if scarce and rng.random() < 0.35 else rng.choice(self.catalog.plentiful)
        items = [{"product_id": product, "quantity": rng.randint(1, 2)}]
        placed = self.client.post("order", "/orders/api/orders/", {"items": items}, customer.headers)
        if placed is None:
            self.books.count("checkout: order outcome unknown")
            return
        if placed.status_code != 201:
            if _code(placed) == "insufficient_stock":
                with self.books._lock:
                    self.books.sold_out[product] += 1
                self.books.count("checkout: order refused, sold out")
            else:
                self.books.count(f"checkout: order unexpected {placed.status_code} {_code(placed)}")
            return
        order = placed.json()
        self.books.order(order["id"], "pending")
        if rng.random() < 0.05:
            self._cancel(customer, order, paid=False)
            return
        paid = self.client.post(
            "pay", f"/orders/api/orders/{order['id']}/pay/", {"account_id": customer.account_id}, customer.headers
        )
        if paid is None:
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
                self._cancel(customer, order, paid=True)
        elif paid.status_code == 402 and paid.json()["order"]["status"] == "pending":
            # Declined (insufficient funds, say): the code says why, the order is still pending.
            self.books.count(f"checkout: payment failed, {_code(paid)}")
            self._cancel(customer, order, paid=False)
        else:
            self.books.count(f"checkout: payment unexpected {paid.status_code} {_code(paid)}")
            self.books.order(order["id"], "unknown")

    def _cancel(self, customer: Customer, order: dict[str, Any], *, paid: bool) -> None:
        answer = self.client.post("cancel", f"/orders/api/orders/{order['id']}/cancel/", {}, customer.headers)
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
            told = f"{answer.status_code} {_code(answer)}" if answer is not None else "no answer"
            self.books.count(f"checkout: cancel unexpected {told}")


# --- Readiness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    moment: float
    service: str
    status: int | None
    checks: dict[str, str]


class ReadinessWatch:
    """Asks every service's /ready/ through the gateway, over and over, in a thread of its own."""

    def __init__(self, base_url: str, *, interval: float = 0.2) -> None:
        self.base_url = base_url
        self.interval = interval
        self.probes: list[Probe] = []
        self._stop = threading.Event()
        # One thread per service: a check that waits for a dead dependency delays no other.
        self._threads = [threading.Thread(target=self._run, args=(name,), daemon=True) for name in SERVICE_NAMES]

    def __enter__(self) -> ReadinessWatch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, name: str) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            self.probes.append(probe(session, self.base_url, name))
            self._stop.wait(self.interval)

    def not_ready(self, start: float, end: float) -> dict[str, list[Probe]]:
        """Per service, the probes between `start` and `end` that did not answer 200."""
        found: dict[str, list[Probe]] = {name: [] for name in SERVICE_NAMES}
        for sample in self.probes:
            if start <= sample.moment <= end and sample.status != 200:
                found[sample.service].append(sample)
        return found


def probe(session: requests.Session, base_url: str, name: str) -> Probe:
    moment = now()
    try:
        response = session.get(f"{base_url}/{name}/ready/", timeout=10)
    except requests.RequestException:
        return Probe(moment, name, None, {})
    try:
        checks = dict(response.json().get("checks", {}))
    except ValueError:
        checks = {}
    return Probe(moment, name, response.status_code, checks)


def wait_until_ready(base_url: str, *, timeout: float, names: tuple[str, ...] = SERVICE_NAMES) -> float:
    """Poll every named service's /ready/ at once until each has answered 200; return when the last did."""

    def one(name: str) -> float:
        session = requests.Session()
        deadline = now() + timeout
        while probe(session, base_url, name).status != 200:
            if now() > deadline:
                raise AssertionError(f"{name} not ready after {timeout:.0f} s")
            time.sleep(0.05)
        return now()

    with ThreadPoolExecutor(len(names)) as pool:
        return max(pool.map(one, names))


# --- The stack's processes ----------------------------------------------------------------------


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:  # a kernel without that file: the parent of every process, from its stat line
        children = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass(frozen=True)
class StackProcesses:
    """The runner of `python -m stack run` for one gateway port, and what it started."""

    runner: int
    gunicorn_masters: dict[str, int]  # service -> master pid
    background: dict[int, str]  # relays, consumers, reconcilers: pid -> command

    @classmethod
    def find(cls, stack: LaunchedStack) -> StackProcesses:
        port = stack.url.rsplit(":", 1)[1]
        runners = [
            int(entry.name)
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit()
            and (command := _cmdline(int(entry.name)))[1:4] == ["-m", "stack", "run"]
            and port in command[command.index("--gateway-port") + 1 : command.index("--gateway-port") + 2]
        ]
        assert len(runners) == 1, f"expected one stack runner on port {port}, found {runners}"
        masters: dict[str, int] = {}
        background: dict[int, str] = {}
        directories = {service.path: service.name for service in SERVICES}
        for child in _children(runners[0]):
            command = _cmdline(child)
            if "gunicorn" in command:
                masters[directories[Path(os.readlink(f"/proc/{child}/cwd"))]] = child
            elif "manage.py" in command:
                background[child] = " ".join(command[command.index("manage.py") + 1 :]).strip()
        return cls(runners[0], masters, background)

    def workers(self, service: str) -> list[int]:
        return [pid for pid in _children(self.gunicorn_masters[service]) if alive(pid)]

    def dead(self) -> list[str]:
        """The long-running processes found at the start that are gone now (none, if nothing was restarted)."""
        dead = [f"gunicorn master of {name}" for name, pid in self.gunicorn_masters.items() if not alive(pid)]
        dead += [command for pid, command in self.background.items() if not alive(pid)]
        return dead


def kill_workers(processes: StackProcesses, services: tuple[str, ...]) -> dict[str, list[int]]:
    """SIGKILL every gunicorn worker of `services` at once; return the pids killed."""
    killed = {name: processes.workers(name) for name in services}
    for pids in killed.values():
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    return killed


def wait_for_replacements(
    processes: StackProcesses, killed: dict[str, list[int]], *, workers: int, timeout: float
) -> None:
    deadline = now() + timeout
    for name, old in killed.items():
        while True:
            current = processes.workers(name)
            if len(current) >= workers and not set(current) & set(old):
                break
            if now() > deadline:
                raise AssertionError(f"{name}: workers {current} after killing {old}")
            time.sleep(0.05)


# --- What the databases hold --------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def _rows(name: str, suffix: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with database(name, suffix=suffix) as connection:
        return list(connection.execute(query, params or None).fetchall())


def _sample(items: Any, limit: int = 5) -> str:
    items = list(items)
    return f"{len(items)}: {', '.join(map(str, items[:limit]))}{' ...' if len(items) > limit else ''}"


def money_invariants(
    stack: LaunchedStack, books: Books, catalog: Catalog, *, suffix: str, phases: Iterable[str]
) -> list[Check]:
    """Everything that must hold of money, orders, payments and stock, read from the databases."""
    checks: list[Check] = []

    def check(name: str, problems: Any, detail: str = "") -> None:
        problems = list(problems)
        checks.append(Check(name, not problems, _sample(problems) if problems else detail))

    verified = ""
    try:
        verified = stack.manage("bank", "verify_ledger").strip()
    except Exception as error:  # a non-zero exit is the finding
        verified = f"FAILED: {getattr(error, 'stderr', error)}"
    checks.append(Check("verify_ledger passes", verified.startswith("ledger ok"), verified))

    accounts = _rows("bank", suffix, "SELECT id::text, kind, system_code, currency, balance FROM ledger_account")
    total = sum(balance for *_, balance in accounts)
    check("every currency's balances, system accounts included, sum to zero",
          [f"{currency}: {sum(b for *_, c, b in accounts if c == currency)}" for currency in {a[3] for a in accounts}
           if sum(b for *_, c, b in accounts if c == currency) != 0],
          f"{len(accounts)} accounts, sum {total}")  # fmt: skip
    customers = sum(balance for _, kind, *_, balance in accounts if kind == "customer")
    merchant = sum(balance for _, _, code, _, balance in accounts if code == "merchant_revenue")
    cash = sum(balance for _, _, code, _, balance in accounts if code == "external_cash")
    expected = books.deposited - books.withdrawn
    check(
        "customer balances + merchant revenue = deposits - withdrawals",
        [f"{customers} + {merchant} != {expected}"] if customers + merchant != expected or -cash != expected else [],
        f"{customers:,} + {merchant:,} = {books.deposited:,} - {books.withdrawn:,} (external cash {cash:,})",
    )

    cash_movements = dict(
        _rows(
            "bank", suffix,
            "SELECT t.kind, sum(p.amount) FROM ledger_transaction t JOIN ledger_posting p ON p.transaction_id = t.id"
            " JOIN ledger_account a ON a.id = p.account_id"
            " WHERE a.kind = 'customer' AND t.kind IN ('deposit', 'withdrawal') GROUP BY t.kind",
        )
    )  # fmt: skip
    check("the ledger's deposits and withdrawals are exactly the ones staff made",
          [] if (cash_movements.get("deposit"), -(cash_movements.get("withdrawal") or 0))
          == (books.deposited, books.withdrawn) else [f"ledger {cash_movements}"],
          f"{books.deposited:,} deposited, {books.withdrawn:,} withdrawn")  # fmt: skip
    transfer_keys = Counter(
        key
        for (key,) in _rows("bank", suffix, "SELECT idempotency_key FROM ledger_transaction WHERE kind = 'transfer'")
    )
    check("every transfer a client was told about is in the ledger exactly once, and no other",
          [f"{key} x{count}" for key, count in transfer_keys.items() if count != 1]
          + [f"{key} missing" for key in books.transfers - set(transfer_keys)]
          + [f"{key} never confirmed" for key in set(transfer_keys) - books.transfers],
          f"{len(books.transfers):,} transfers")  # fmt: skip

    balances = {account: balance for account, kind, *_, balance in accounts if kind == "customer"}
    known = {account: value for account, value in books.balances.items() if account not in books.unknown}
    check(
        "every customer's balance is what their client was told",
        [f"{account}: bank {balances.get(account)} != client {value}" for account, value in known.items()
         if balances.get(account) != value],
        f"{len(known)} of {len(books.balances)} accounts determinable, all equal",
    )  # fmt: skip

    orders = {
        row[0]: row
        for row in _rows(
            "orders", suffix,
            "SELECT id::text, status, total, paid_payment_id::text, payment_started_at IS NOT NULL,"
            " reservation_committed, reservation_released FROM orders_order",
        )
    }  # fmt: skip
    payments = _rows(
        "payments", suffix,
        "SELECT id::text, order_id::text, status, amount, bank_transaction_id::text, refund_transaction_id::text"
        " FROM payments_payment",
    )  # fmt: skip
    movements = _rows(
        "bank", suffix,
        "SELECT t.id::text, t.kind, t.idempotency_key, sum(p.amount) FILTER (WHERE a.kind = 'customer')"
        " FROM ledger_transaction t JOIN ledger_posting p ON p.transaction_id = t.id"
        " JOIN ledger_account a ON a.id = p.account_id WHERE t.kind IN ('payment', 'refund') GROUP BY t.id",
    )  # fmt: skip
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for transaction_id, _kind, key, customer_leg in movements:
        by_key[key].append((transaction_id, int(customer_leg)))
    successful = [p for p in payments if p[2] in ("succeeded", "refunded")]
    per_order = Counter(p[1] for p in successful)
    paid_orders = [o for o in orders.values() if o[1] in ("paid", "fulfilled", "refunded")]

    check("every paid, fulfilled or refunded order has exactly one successful payment, its own",
          [o[0] for o in paid_orders if per_order[o[0]] != 1
           or not any(p[0] == o[3] and p[1] == o[0] and p[3] == o[2] for p in successful)],
          f"{len(paid_orders)} orders")  # fmt: skip
    check("every successful payment has exactly one bank charge, of its amount, with its key",
          [p[0] for p in successful if by_key.get(f"payment:{p[0]}") != [(p[4], -p[3])]],
          f"{len(successful)} payments")  # fmt: skip
    payment_ids = {p[0]: p for p in payments}
    check("every bank charge and refund belongs to a payment that succeeded",
          [key for key in by_key if key.split(":", 1)[1] not in payment_ids
           or payment_ids[key.split(":", 1)[1]][2] not in ("succeeded", "refunded")],
          f"{len(movements)} bank movements")  # fmt: skip
    check("every refunded payment has exactly one bank refund; no other payment has one",
          [p[0] for p in payments
           if (by_key.get(f"refund:{p[0]}") == [(p[5], p[3])]) != (p[2] == "refunded")],
          f"{sum(p[2] == 'refunded' for p in payments)} refunds")  # fmt: skip
    check("no successful payment without a paid order (refunded with refunded)",
          [p[0] for p in successful if p[1] not in orders
           or orders[p[1]][1] not in (("refunded",) if p[2] == "refunded" else ("paid", "fulfilled"))],
          f"{len(successful)} payments")  # fmt: skip
    check("no payment left pending, no order with a payment in flight",
          [p[0] for p in payments if p[2] == "pending"] + [o[0] for o in orders.values() if o[4]])  # fmt: skip
    told = {order: status for order, status in books.orders.items() if status != "unknown"}
    check("every order is in the state its client was told",
          [f"{order}: {status} != {orders.get(order, ('', 'missing'))[1]}" for order, status in told.items()
           if orders.get(order, ("", "missing"))[1] != status],
          f"{len(told)} orders")  # fmt: skip
    merchant_expected = sum(p[3] for p in payments if p[2] == "succeeded")
    check("merchant revenue = the succeeded, unrefunded payments",
          [f"{merchant} != {merchant_expected}"] if merchant != merchant_expected else [], f"{merchant:,}")  # fmt: skip

    stock = dict(_rows("catalog", suffix, "SELECT id::text, stock FROM products_product"))
    held = _rows(
        "catalog", suffix,
        "SELECT r.order_id::text, r.status, l.product_id::text, l.quantity FROM products_reservation r"
        " JOIN products_reservationline l ON l.reservation_id = r.id",
    )  # fmt: skip
    out: Counter[str] = Counter()
    for _order, status, product, quantity in held:
        if status in ("held", "committed"):
            out[product] += quantity
    check("no product's stock is negative", [p for p, units in stock.items() if units < 0], f"{len(stock)} products")
    check("stock + units held or sold = the stock the product started with",
          [f"{p}: {stock[p]} + {out[p]} != {initial}" for p, initial in catalog.initial_stock.items()
           if stock[p] + out[p] != initial], f"{len(catalog.initial_stock)} products")  # fmt: skip
    reservation = {order: status for order, status, *_ in held}
    allowed = {"paid": {"committed"}, "fulfilled": {"committed"}, "refunded": {"released"},
               "cancelled": {"released", "expired"}, "pending": {"held"}}  # fmt: skip
    check("every order's stock is committed (paid), released (cancelled, refunded) or held (pending)",
          [f"{o[0]} {o[1]}: {reservation.get(o[0])}" for o in orders.values()
           if reservation.get(o[0]) not in allowed[o[1]]], f"{len(orders)} orders")  # fmt: skip
    check(
        "no stock is held or sold for an order that does not exist",
        {order for order, status, *_ in held if status in ("held", "committed") and order not in orders},
    )
    scarce = [product for phase, product in catalog.scarce.items() if phase in phases]
    check("every phase's scarce product ran out: orders were refused for lack of stock",
          [p for p in scarce if not books.sold_out[p]],
          f"{sum(books.sold_out[p] for p in scarce)} orders refused for {len(scarce)} products")  # fmt: skip
    return checks


def handled_event_types(stack: LaunchedStack, consumer: str, module: str) -> set[str]:
    """The event types a consumer has handlers for, asked from its own code."""
    output = stack.manage(
        consumer, "shell", "-c", f"import json; from {module} import HANDLERS; print(json.dumps(sorted(HANDLERS)))"
    )
    return set(json.loads(output.strip().splitlines()[-1]))


@dataclass
class EventFigures:
    written: Counter[str]  # per event type, every outbox row of every producer
    unpublished: int
    expected: int  # deliveries the consumers owe: each handled event once per consumer
    delivered: int
    lost: list[str]
    dead_letters: int
    transfer_notifications: int
    transfers: int


def event_figures(stack: LaunchedStack, *, suffix: str, consumers: dict[str, set[str]]) -> EventFigures:
    """Every producer's outbox against every consumer's inbox: what was written, what arrived."""
    outbox: list[tuple[str, str, bool, datetime]] = []
    for service in PRODUCERS:
        outbox += _rows(
            service, suffix,
            "SELECT event_id::text, event_type, published_at IS NOT NULL, occurred_at FROM servicekit_outboxevent",
        )  # fmt: skip
    lost: list[str] = []
    expected = delivered = dead = 0
    for consumer, types in consumers.items():
        inbox = {row[0] for row in _rows(consumer, suffix, "SELECT event_id::text FROM servicekit_inboxevent")}
        owed = {event_id for event_id, event_type, *_ in outbox if event_type in types}
        expected += len(owed)
        delivered += len(owed & inbox)
        lost += [f"{consumer}: {event_id}" for event_id in sorted(owed - inbox)]
        dead += int(_rows(consumer, suffix, "SELECT count(*) FROM servicekit_deadletter")[0][0])
    [(notified,)] = _rows(
        "notifications",
        suffix,
        "SELECT count(*) FROM notifications_notification WHERE event_type = 'transfer.completed'",
    )
    [(transfers,)] = _rows("bank", suffix, "SELECT count(*) FROM ledger_transaction WHERE kind = 'transfer'")
    return EventFigures(
        written=Counter(event_type for _, event_type, *_ in outbox),
        unpublished=sum(not published for _, _, published, _ in outbox),
        expected=expected,
        delivered=delivered,
        lost=lost,
        dead_letters=dead,
        transfer_notifications=int(notified),
        transfers=int(transfers),
    )


@dataclass(frozen=True)
class Window:
    """What became of the events written between two moments (a broker outage, say)."""

    written: int  # outbox rows, every producer
    unpublished: int
    last_published: datetime | None
    owed: int  # deliveries owed: each event once per consumer that handles its type
    delivered: int
    last_received: datetime | None


def events_between(suffix: str, start: datetime, end: datetime, consumers: dict[str, set[str]]) -> Window:
    rows: list[tuple[str, str, datetime | None]] = []
    for service in PRODUCERS:
        rows += _rows(
            service, suffix,
            "SELECT event_id::text, event_type, published_at FROM servicekit_outboxevent"
            " WHERE occurred_at BETWEEN %s AND %s",
            start, end,
        )  # fmt: skip
    published = [at for _, _, at in rows if at is not None]
    owed = delivered = 0
    received: list[datetime] = []
    for consumer, types in consumers.items():
        wanted = [event_id for event_id, event_type, _ in rows if event_type in types]
        [(count, last)] = _rows(
            consumer, suffix,
            "SELECT count(*), max(received_at) FROM servicekit_inboxevent WHERE event_id = ANY(%s::uuid[])", wanted,
        )  # fmt: skip
        owed, delivered = owed + len(wanted), delivered + int(count)
        received += [last] if last else []
    return Window(
        written=len(rows),
        unpublished=len(rows) - len(published),
        last_published=max(published, default=None),
        owed=owed,
        delivered=delivered,
        last_received=max(received, default=None),
    )


def wall_clock() -> datetime:
    return datetime.now(UTC)
