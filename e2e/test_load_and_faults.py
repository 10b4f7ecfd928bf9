"""Money and events under load, and through faults, on a stack of its own (databases `*_load`).

Thousands of transfers and checkouts go through the gateway from concurrent clients that retry
as real ones do (same Idempotency-Key after a 5xx, no answer, or "still in progress"). Phase by
phase, with the load running: gunicorn workers are killed with SIGKILL mid-request, PostgreSQL
is restarted, the broker is cut off. A 5xx is allowed only inside a fault's window (from the
fault until every service is ready again); afterwards, none. At the end the databases must tell
the same story as the clients: no money lost or doubled, one charge per paid order, no
negative stock, every event delivered. The figures are printed in one summary block.

PostgreSQL is restarted with pg_ctlcluster (the test is skipped without it); deselect that phase
with `-k "not postgresql"` on a server others are using.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from e2e.load import (
    SERVICE_NAMES,
    Books,
    Catalog,
    Check,
    EventFigures,
    Fault,
    Load,
    ReadinessWatch,
    Recorder,
    StackProcesses,
    event_figures,
    events_between,
    handled_event_types,
    kill_workers,
    money_invariants,
    now,
    wait_for_replacements,
    wait_until_ready,
    wall_clock,
)
from servicekit.testing import TcpProxy
from stack import db
from stack.launch import LaunchedStack, launched_stack
from stack.traffic import DEFAULT_BROKER_URL, Customer, drain_events, funded_customer, post, product, sign_in

pytestmark = pytest.mark.load

SUFFIX = "_load"
WORKERS = 2
ADMIN = {"email": "load-admin@example.com", "password": "load-admin-password-1"}
CUSTOMERS, POOR_CUSTOMERS = 40, 8  # the poor ones' payments and transfers fail now and then
RICH_DEPOSIT, POOR_DEPOSIT, WITHDRAWAL = 1_000_000, 3_000, 1_000
TRANSFERERS, SHOPPERS = 18, 10
THREADS = {"auth": 2, "bank": 4, "catalog": 4, "orders": 4, "payments": 4, "notifications": 2}
BACKGROUND = 10  # relays, consumers, reconcilers and the reservation expirer: one connection each
PHASES = ("baseline", "kill -9 workers", "postgresql restart", "broker outage", "after recovery")
SCARCE_STOCK = 8


@dataclass
class Shop:
    stack: LaunchedStack
    proxy: TcpProxy
    watch: ReadinessWatch
    recorder: Recorder
    books: Books
    catalog: Catalog
    load: Load
    processes: StackProcesses
    consumers: dict[str, set[str]]  # consumer -> the event types it handles
    figures: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)


def _proxied(url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{port}"))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    broker_url = os.environ.get("BROKER_URL", DEFAULT_BROKER_URL)
    broker = urllib.parse.urlsplit(broker_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672).start()
    _enough_database_connections()
    environment = {
        "GUNICORN_WORKERS": str(WORKERS),
        # Four threads where the load goes, two where it does not: each thread keeps a connection.
        **{f"{name.upper()}_GUNICORN_THREADS": str(threads) for name, threads in THREADS.items()},
        # Every client is 127.0.0.1: the gateway's per-address limits must not be what is measured.
        "GATEWAY_AUTH_RATE": "10000r/s",
        "GATEWAY_AUTH_BURST": "10000",
        "GATEWAY_READ_RATE": "100000r/s",
        "GATEWAY_READ_BURST": "100000",
        "GATEWAY_WRITE_RATE": "100000r/s",
        "GATEWAY_WRITE_BURST": "100000",
        "GATEWAY_CONNECTIONS_PER_CLIENT": "10000",
        "JWT_ACCESS_TOKEN_MINUTES": "60",
        "DEMO_ADMIN_EMAIL": ADMIN["email"],
        "DEMO_ADMIN_PASSWORD": ADMIN["password"],
        "EMAIL_URL": "dummymail://",  # notification emails are rendered, not sent
        "LOG_LEVEL": "WARNING",
        # The broker through a proxy this test can cut without touching RabbitMQ itself.
        "BROKER_URL": _proxied(broker_url, proxy.port),
        # Reconcilers every few seconds, and attempts left half-way picked up after 10 s.
        "RECONCILE_EVERY_SECONDS": "3",
        "ORDERS_PAYMENT_TIMEOUT": "10",
        "PAYMENTS_PENDING_TIMEOUT": "10",
    }
    started = now()
    try:
        with launched_stack(tmp_path_factory.mktemp("load"), db_suffix=SUFFIX, environment=environment) as stack:
            up = now()
            recorder, books = Recorder(), Books()
            with ThreadPoolExecutor(2) as pool:  # each asks a consumer's own code, meanwhile the shop opens
                handled = {
                    name: pool.submit(handled_event_types, stack, name, f"{name}.handlers")
                    for name in ("notifications", "orders")
                }
                customers, catalog = _open_the_shop(stack, books)
                consumers = {name: future.result() for name, future in handled.items()}
            load = Load(stack, recorder, books, customers, catalog, transferers=TRANSFERERS, shoppers=SHOPPERS)
            figures = {"stack up": up - started, "shop opened": now() - up}
            with ReadinessWatch(stack.url) as watch:
                yield Shop(
                    stack, proxy, watch, recorder, books, catalog, load, StackProcesses.find(stack), consumers, figures
                )
    finally:
        proxy.stop()


def _enough_database_connections() -> None:
    """Fail at once, saying why, if PostgreSQL cannot take this stack's connections on top of the ones open."""
    needed = WORKERS * sum(THREADS.values()) + BACKGROUND + 10  # and a few for this test's own reads
    with psycopg.connect(db.admin_url(), autocommit=True) as connection:
        [(limit, reserved, used)] = connection.execute(
            "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,"
            " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        ).fetchall()
    free = limit - reserved - used
    if free < needed:
        pytest.fail(
            f"PostgreSQL has {free} free connections ({used} of {limit - reserved} in use), and this stack keeps "
            f"up to {needed}: stop other stacks on this server, or raise max_connections"
        )


def _open_the_shop(stack: LaunchedStack, books: Books) -> tuple[list[Customer], Catalog]:
    """Customers with funded accounts (a few poor ones), plentiful products and one scarce product per phase."""
    staff = sign_in(stack.url, ADMIN["email"], ADMIN["password"])
    deposits = [POOR_DEPOSIT] * POOR_CUSTOMERS + [RICH_DEPOSIT] * (CUSTOMERS - POOR_CUSTOMERS)
    with ThreadPoolExecutor(8) as pool:
        customers = list(
            pool.map(
                lambda amount: funded_customer(stack.url, staff_token=staff, deposit=amount, label="load"), deposits
            )
        )
        rich = customers[POOR_CUSTOMERS:]
        body = lambda customer: {"account_id": customer.account_id, "amount": WITHDRAWAL}  # noqa: E731
        list(pool.map(lambda c: post(f"{stack.url}/bank/api/withdrawals/", body(c), staff), rich))
    for customer, amount in zip(customers, deposits, strict=True):
        books.move(customer.account_id, amount - (WITHDRAWAL if customer in rich else 0))
    books.deposited, books.withdrawn = sum(deposits), WITHDRAWAL * len(rich)
    stock: dict[str, int] = {}
    plentiful = []
    for name, price in (("Load kettle", 1_250), ("Load grinder", 2_990)):
        plentiful.append(product(stack.url, staff_token=staff, name=name, price=price, stock=100_000))
        stock[plentiful[-1]] = 100_000
    scarce = {}
    for phase in PHASES:
        scarce[phase] = product(stack.url, staff_token=staff, name=f"Scarce ({phase})", price=4_500, stock=SCARCE_STOCK)
        stock[scarce[phase]] = SCARCE_STOCK
    return customers, Catalog(tuple(plentiful), scarce, stock)


def _no_failures_outside_faults(shop: Shop, phase: str) -> None:
    assert not shop.load.errors, shop.load.errors[:5]
    outside = shop.recorder.failures_outside_faults(phase)
    assert not outside, f"{len(outside)} 5xx or unanswered requests outside any fault: {outside[:5]}"


def test_thousands_of_transfers_and_checkouts_under_load(shop: Shop) -> None:
    with shop.load.running("baseline"):
        time.sleep(15)
    _no_failures_outside_faults(shop, "baseline")
    assert shop.books.outcomes["transfer: moved"] and shop.books.outcomes["checkout: paid"], shop.books.outcomes
    # Without faults every payment is paid (200) or declined (402, the order still pending).
    unexpected = [outcome for outcome in shop.books.outcomes if outcome.startswith("checkout: payment unexpected")]
    assert not unexpected, shop.books.outcomes


def test_workers_killed_mid_request_are_replaced_and_nothing_is_lost_or_doubled(shop: Shop) -> None:
    services = ("bank", "payments", "orders")  # every hop of a payment at once
    with shop.load.running("kill -9 workers"):
        time.sleep(3)
        fault = shop.recorder.fault("kill -9 " + " + ".join(services))
        killed = kill_workers(shop.processes, services)
        wait_for_replacements(shop.processes, killed, workers=WORKERS, timeout=60)
        fault.ended = now()
        fault.recovered = wait_until_ready(shop.stack.url, timeout=60, names=services)
        fault.notes["killed"] = {name: len(pids) for name, pids in killed.items()}
        time.sleep(5)
    assert not shop.processes.dead(), shop.processes.dead()
    _no_failures_outside_faults(shop, "kill -9 workers")


def _postgresql_cluster() -> tuple[str, str] | None:
    """The pg_ctlcluster version and name of the cluster the stack's databases are on, if there is one here."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return None
    port = urllib.parse.urlsplit(db.admin_url()).port or 5432
    for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    return None


def _pg_ctl(cluster: tuple[str, str], action: str, *options: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action, *options],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _make_sure_postgresql_runs(cluster: tuple[str, str]) -> None:
    """Start the cluster if it is not online (whatever happened to this test, others need it)."""
    for _ in range(5):
        status = subprocess.run(["pg_lsclusters", "-h", *cluster], capture_output=True, text=True).stdout.split()
        if len(status) > 3 and status[3] == "online":
            return
        with contextlib.suppress(subprocess.SubprocessError):
            _pg_ctl(cluster, "start")
        time.sleep(1)


def test_a_postgresql_restart_is_survived_without_restarting_anything(shop: Shop) -> None:
    cluster = _postgresql_cluster()
    if cluster is None:
        pytest.skip("no pg_ctlcluster for the stack's PostgreSQL on this machine")
    with shop.load.running("postgresql restart"):
        time.sleep(3)
        fault = shop.recorder.fault("postgresql restart")
        try:
            _pg_ctl(cluster, "stop", "-m", "fast")
            time.sleep(3)
            _pg_ctl(cluster, "start")
        finally:
            _make_sure_postgresql_runs(cluster)
        fault.ended = now()
        fault.recovered = wait_until_ready(shop.stack.url, timeout=90)
        time.sleep(4)
    outage = shop.watch.not_ready(fault.started, fault.ended)
    assert all(outage.values()), f"readiness stayed 200 during the outage: {[s for s, p in outage.items() if not p]}"
    after = shop.watch.not_ready(fault.recovered + 1, now())
    assert not any(after.values()), f"not ready after recovery: {after}"
    assert not shop.processes.dead(), shop.processes.dead()
    _no_failures_outside_faults(shop, "postgresql restart")


def test_a_broker_outage_shows_in_readiness_and_loses_no_event(shop: Shop) -> None:
    with shop.load.running("broker outage"):
        time.sleep(3)
        fault = shop.recorder.fault("broker outage")
        cut = wall_clock()
        shop.proxy.stop()
        try:
            time.sleep(8)
        finally:
            shop.proxy.start()
        restored = wall_clock()
        fault.ended = now()
        fault.recovered = wait_until_ready(shop.stack.url, timeout=60)
        time.sleep(3)
    outage = shop.watch.not_ready(fault.started, fault.ended)
    assert all(outage.values()), f"readiness stayed 200 without the broker: {[s for s, p in outage.items() if not p]}"
    assert all(any(p.checks.get("broker") == "unreachable" for p in probes) for probes in outage.values())
    after = shop.watch.not_ready(fault.recovered + 1, now())
    assert not any(after.values()), f"not ready after recovery: {after}"
    assert not shop.processes.dead(), shop.processes.dead()
    _no_failures_outside_faults(shop, "broker outage")
    # The relays publish what was written meanwhile by themselves; the consumers' share is
    # checked at the end, once the backlog has drained (see the last test).
    fault.notes["window"] = (cut, restored)
    deadline = now() + 60
    while (window := events_between(SUFFIX, cut, restored, shop.consumers)).unpublished and now() < deadline:
        time.sleep(0.5)
    assert window.written > 0 and window.unpublished == 0, window


def test_after_the_faults_every_invariant_holds(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with shop.load.running("after recovery"):
            time.sleep(8)
        _no_failures_outside_faults(shop, "after recovery")
        draining = now()
        assert drain_events(suffix=SUFFIX, broker_url=shop.stack.environment["BROKER_URL"], timeout=120)
        _wait_for_reconcilers(shop)
        shop.figures["drained and reconciled"] = now() - draining
        shop.checks = money_invariants(shop.stack, shop.books, shop.catalog, suffix=SUFFIX, phases=shop.recorder.phases)
        events = _wait_for_events(shop, shop.consumers)
        shop.figures["events"] = events
        shop.checks += [
            Check("every outbox event was published", events.unpublished == 0, f"{events.unpublished} unpublished"),
            *_outage_checks(shop),
            Check("every event reached every consumer that handles it (lost = 0)", not events.lost,
                  f"{events.delivered:,} of {events.expected:,} delivered; lost: {events.lost[:5]}"),
            Check("no event was dead-lettered", events.dead_letters == 0, f"{events.dead_letters} dead letters"),
            Check("every transfer notified both sides", events.transfer_notifications == 2 * events.transfers,
                  f"{events.transfer_notifications:,} notifications for {events.transfers:,} transfers"),
            Check("no 5xx or unanswered request outside a fault's window",
                  not shop.recorder.failures_outside_faults(), f"{len(shop.recorder.failures_outside_faults())} found"),
            Check("the clients got a definitive answer to every request", not shop.books.unknown,
                  f"{len(shop.books.unknown)} accounts with an unknown outcome"),
        ]  # fmt: skip
    finally:
        with capsys.disabled():
            print(summary(shop), flush=True)
    failed = [check for check in shop.checks if not check.ok]
    assert shop.checks and not failed, failed


def _outage_checks(shop: Shop) -> list[Check]:
    """Every event written while the broker was away was published, and delivered, once it was back."""
    checks = []
    for fault in shop.recorder.faults:
        if "window" not in fault.notes:
            continue
        cut, restored = fault.notes.pop("window")
        window = events_between(SUFFIX, cut, restored, shop.consumers)
        published = (window.last_published - restored).total_seconds() if window.last_published else float("nan")
        received = (window.last_received - restored).total_seconds() if window.last_received else float("nan")
        fault.notes["events"] = (
            f"{window.written} written during it, {window.owed} deliveries owed to consumers, {window.delivered} made,"
            f" {window.owed - window.delivered} lost; the last published {published:.1f} s and the last delivered"
            f" {received:.1f} s after the broker was back"
        )
        checks.append(Check(
            f"every event written during the {fault.name} was published and delivered once it was back",
            window.written > 0 and window.unpublished == 0 and window.delivered == window.owed,
            f"{window.written} written, {window.delivered} of {window.owed} deliveries made; the last published "
            f"{published:.1f} s and the last delivered {received:.1f} s after the broker was back",
        ))  # fmt: skip
    return checks


def _wait_for_reconcilers(shop: Shop, timeout: float = 30) -> None:
    """Until no order has a payment in flight or uncommitted stock, and no payment is pending (or time runs out)."""
    from e2e.load import _rows

    deadline = now() + timeout
    while now() < deadline:
        [(open_orders,)] = _rows(
            "orders", SUFFIX,
            "SELECT count(*) FROM orders_order WHERE payment_started_at IS NOT NULL"
            " OR (status IN ('paid', 'fulfilled') AND NOT reservation_committed)"
            " OR (status IN ('cancelled', 'refunded') AND NOT reservation_released)",
        )  # fmt: skip
        [(pending,)] = _rows("payments", SUFFIX, "SELECT count(*) FROM payments_payment WHERE status = 'pending'")
        if open_orders == pending == 0:
            return
        time.sleep(0.5)


def _wait_for_events(shop: Shop, consumers: dict[str, set[str]], timeout: float = 60) -> EventFigures:
    deadline = now() + timeout
    while True:
        figures = event_figures(shop.stack, suffix=SUFFIX, consumers=consumers)
        if (not figures.lost and not figures.unpublished) or now() > deadline:
            return figures
        time.sleep(0.5)


def summary(shop: Shop) -> str:
    """The figures of the run, counted from what the clients sent and what the databases hold."""
    recorder, books = shop.recorder, shop.books
    lines = ["", "=" * 100, "Load and faults: summary", "-" * 100]
    timings = [f"{name} in {shop.figures[name]:.1f} s" for name in ("stack up", "shop opened", "drained and reconciled")
               if name in shop.figures]  # fmt: skip
    lines += [
        f"{len(shop.load.customers)} customers ({POOR_CUSTOMERS} poorly funded), {TRANSFERERS} transfer clients,"
        f" {SHOPPERS} shoppers, {WORKERS} gunicorn workers per service (threads: "
        + ", ".join(f"{name} {count}" for name, count in THREADS.items())
        + "); "
        + ", ".join(timings),
        "",
    ]
    lines.append(f"{'phase':<20}{'seconds':>8}{'requests':>10}{'transfers':>10}{'orders':>8}{'pays':>6}"
                 f"{'cancels':>8}{'5xx':>6}{'no answer':>10}{'retries':>9}{'409 busy':>9}")  # fmt: skip
    totals: Counter[str] = Counter()
    for phase in PHASES:
        if phase not in recorder.phases:
            continue
        start, end = recorder.phases[phase]
        attempts = recorder.of_phase(phase)
        operations = Counter(a.operation for a in attempts if not a.retry)
        row = Counter(
            requests=len(attempts),
            transfer=operations["transfer"],
            order=operations["order"],
            pay=operations["pay"],
            cancel=operations["cancel"],
            server_errors=sum(a.status is not None and a.status >= 500 for a in attempts),
            no_answer=sum(a.status is None for a in attempts),
            retries=sum(a.retry for a in attempts),
            busy=sum(a.in_progress for a in attempts),
        )
        totals.update(row)
        lines.append(f"{phase:<20}{end - start:>8.1f}{row['requests']:>10,}{row['transfer']:>10,}{row['order']:>8,}"
                     f"{row['pay']:>6,}{row['cancel']:>8,}{row['server_errors']:>6,}{row['no_answer']:>10,}"
                     f"{row['retries']:>9,}{row['busy']:>9,}")  # fmt: skip
    lines.append(f"{'total':<28}{totals['requests']:>10,}{totals['transfer']:>10,}{totals['order']:>8,}"
                 f"{totals['pay']:>6,}{totals['cancel']:>8,}{totals['server_errors']:>6,}{totals['no_answer']:>10,}"
                 f"{totals['retries']:>9,}{totals['busy']:>9,}")  # fmt: skip
    statuses = Counter(a.status or a.code for a in recorder.attempts if a.failed)
    lines.append(f"5xx and unanswered by kind: {dict(statuses) or 'none'}; "
                 f"outside any fault's window: {len(recorder.failures_outside_faults())}")  # fmt: skip
    lines += ["", "Outcomes the clients were told:"]
    lines += [f"  {outcome}: {count:,}" for outcome, count in sorted(books.outcomes.items())]
    lines += ["", "Faults (times from the fault):"]
    for fault in recorder.faults:
        lines.append("  " + _describe(fault, shop))
    events: EventFigures | None = shop.figures.get("events")
    if events is not None:
        lines += [
            "",
            f"Events: {sum(events.written.values()):,} written to outboxes, {events.unpublished} unpublished; "
            f"{events.expected:,} deliveries owed to consumers, {events.delivered:,} delivered, "
            f"{len(events.lost)} lost, {events.dead_letters} dead-lettered",
            "  by type: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(events.written.items())),
        ]
    passed = sum(check.ok for check in shop.checks)
    lines += ["", f"Invariants: {len(shop.checks)} checked, {passed} passed"]
    lines += [f"  [{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in shop.checks]
    lines.append("=" * 100)
    return "\n".join(lines)


def _describe(fault: Fault, shop: Shop) -> str:
    failures = [a for a in shop.recorder.attempts if a.failed and fault.covers(a)]
    last = f"{max(a.answered for a in failures) - fault.started:.1f} s" if failures else "-"
    window = shop.watch.not_ready(fault.started, fault.ended or fault.started)
    not_ready = sum(bool(probes) for probes in window.values())
    parts = [f"{fault.name}: {len(failures)} 5xx/unanswered in its window, the last answered at {last}"]
    if fault.ended and fault.recovered:
        parts.append(f"dependency back at {fault.ended - fault.started:.1f} s")
        parts.append(f"every service ready at {fault.recovered - fault.started:.1f} s "
                     f"({fault.recovered - fault.ended:.1f} s after)")  # fmt: skip
    if fault.ended > fault.started:
        parts.append(f"/ready/ not 200 for {not_ready} of {len(SERVICE_NAMES)} services during it")
    parts += [f"{name} {value:.1f} s" if isinstance(value, float) else f"{name} {value}"
              for name, value in fault.notes.items()]  # fmt: skip
    return "; ".join(parts)
