"""Money and events under load, and through faults, on a stack of its own (databases `*_load<E2E_DB_SUFFIX>`).

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
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
import pytest

from e2e.load import plan
from e2e.load.faults import kill_workers, postgresql_cluster, proxied, restart_postgresql, wait_for_replacements
from e2e.load.invariants import (
    Check,
    money_invariants,
    notifications_twice,
    outage_checks,
    transfer_notifications,
    wait_for_events,
    wait_for_reconcilers,
)
from e2e.load.recording import Recorder, now
from e2e.load.replicas import kill_relay, kill_replica, wait_for_restarts
from e2e.load.report import summary
from e2e.load.shop import Shop
from e2e.load.traffic import Books, Load, open_the_shop
from servicekit.testing import TcpProxy
from servicekit.waiting import poll_until
from stack import broker as stack_broker
from stack import db, pgbouncer
from stack.events import EventFigures, drain_events, events_between, handled_event_types
from stack.launch import LaunchedStack, launched_stack
from stack.processes import StackProcesses
from stack.readiness import ReadinessWatch, wait_until_ready
from stack.services import SERVICES

pytestmark = pytest.mark.load

SUFFIX = plan.SUFFIX
WORKERS = plan.WORKERS


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    broker_url = os.environ.get("BROKER_URL", stack_broker.DEFAULT_URL)
    broker = urllib.parse.urlsplit(broker_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672).start()
    _enough_database_connections(WORKERS * sum(plan.THREADS.values()) + plan.BACKGROUND)
    environment = {
        **_load_environment(),
        # The broker through a proxy this test can cut without touching RabbitMQ itself.
        "BROKER_URL": proxied(broker_url, proxy.port),
    }
    started = now()
    try:
        with (
            launched_stack(tmp_path_factory.mktemp("load"), db_suffix=SUFFIX, environment=environment) as stack,
            _open(stack, proxy, started) as opened,
        ):
            yield opened
    finally:
        proxy.stop()


def _load_environment() -> dict[str, str]:
    """The stack's settings for the load: workers and threads, no gateway limits, quick reconcilers."""
    return {
        "GUNICORN_WORKERS": str(WORKERS),
        # Four threads where the load goes, two where it does not: each thread keeps a connection.
        **{f"{name.upper()}_GUNICORN_THREADS": str(threads) for name, threads in plan.THREADS.items()},
        # Every client is 127.0.0.1: the gateway's per-address limits must not be what is measured.
        "GATEWAY_AUTH_RATE": "10000r/s",
        "GATEWAY_AUTH_BURST": "10000",
        "GATEWAY_READ_RATE": "100000r/s",
        "GATEWAY_READ_BURST": "100000",
        "GATEWAY_WRITE_RATE": "100000r/s",
        "GATEWAY_WRITE_BURST": "100000",
        "GATEWAY_CONNECTIONS_PER_CLIENT": "10000",
        "JWT_ACCESS_TOKEN_MINUTES": "60",
        "DEMO_ADMIN_EMAIL": plan.ADMIN["email"],
        "DEMO_ADMIN_PASSWORD": plan.ADMIN["password"],
        "EMAIL_URL": "dummymail://",  # notification emails are rendered, not sent
        "LOG_LEVEL": "WARNING",
        # Reconcilers every few seconds, and attempts left half-way picked up after 10 s.
        "RECONCILE_EVERY_SECONDS": "3",
        "ORDERS_PAYMENT_TIMEOUT": "10",
        "PAYMENTS_PENDING_TIMEOUT": "10",
    }


@contextlib.contextmanager
def _open(stack: LaunchedStack, proxy: TcpProxy | None, started: float) -> Iterator[Shop]:
    """The shop opened on a running stack (customers, products), its load ready to run, readiness watched."""
    up = now()
    recorder, books = Recorder(), Books()
    with ThreadPoolExecutor(2) as pool:  # each asks a consumer's own code, meanwhile the shop opens
        handled = {
            name: pool.submit(handled_event_types, stack, name, f"{name}.handlers")
            for name in ("notifications", "orders")
        }
        customers, catalog = open_the_shop(stack.url, books)
        consumers = {name: future.result() for name, future in handled.items()}
    load = Load(stack.url, recorder, books, customers, catalog, transferers=plan.TRANSFERERS, shoppers=plan.SHOPPERS)
    figures = {"stack up": up - started, "shop opened": now() - up}
    processes = StackProcesses.find(stack.run_dir)
    with ReadinessWatch(stack.url) as watch:
        yield Shop(stack, proxy, watch, recorder, books, catalog, load, processes, consumers, figures)


def _enough_database_connections(kept: int, *, wait: float = 60) -> None:
    """Fail, saying why, if PostgreSQL cannot take this stack's `kept` connections on top of the ones open.

    Waits up to `wait` seconds first: the sessions of a stack stopped just before (another test's)
    take a moment to end.
    """
    needed = kept + 10  # and a few for this test's own reads

    def free_and_used() -> tuple[int, int, int]:
        with psycopg.connect(db.admin_url(), autocommit=True) as connection:
            [(limit, reserved, used)] = connection.execute(
                "SELECT current_setting('max_connections')::int,"
                " current_setting('superuser_reserved_connections')::int,"
                " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            ).fetchall()
        return limit - reserved - used, used, limit - reserved

    deadline = time.monotonic() + wait
    free, used, usable = free_and_used()
    while free < needed and time.monotonic() < deadline:
        time.sleep(2)
        free, used, usable = free_and_used()
    if free < needed:
        pytest.fail(
            f"PostgreSQL has {free} free connections ({used} of {usable} in use), and this stack keeps "
            f"up to {needed}: stop other stacks on this server, or raise max_connections"
        )


def _no_failures_outside_faults(shop: Shop, phase: str) -> None:
    assert not shop.load.errors, shop.load.errors[:5]
    outside = shop.recorder.failures_outside_faults(phase)
    assert not outside, f"{len(outside)} 5xx or unanswered requests outside any fault: {outside[:5]}"


REPLICA_SUFFIX = "_replicas" + os.environ.get("E2E_DB_SUFFIX", "")


# First in the module, so it runs before the stack of the module's other tests (`shop`) exists:
# one PostgreSQL serves both, and their connections together pass its limit.


def test_two_replicas_behind_pgbouncer_lose_one_of_each_web_service_and_a_relay_mid_load(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two replicas of every service (web and background) and PgBouncer: one replica of each web
    service and one relay are killed outright under load, and started again; nothing is lost."""
    # PgBouncer holds PostgreSQL's side: its pools, and the relays' own listening sessions.
    _enough_database_connections(len(SERVICES) * (pgbouncer.POOL_SIZE + pgbouncer.RESERVE) + 2 * 5)
    environment = {
        **_load_environment(),
        # A checkout claim left by a killed replica is taken over after this many seconds: behind a
        # transaction pooler a claim cannot name the session that made it.
        "IDEMPOTENCY_CLAIM_TIMEOUT": "10",
    }
    started = now()
    with (
        launched_stack(
            tmp_path_factory.mktemp("replicas"), db_suffix=REPLICA_SUFFIX, environment=environment, replicas=2
        ) as stack,
        _open(stack, None, started) as shop,
    ):
        assert stack.pgbouncer_port is not None
        try:
            with shop.load.running("baseline"):
                time.sleep(6)
            _no_failures_outside_faults(shop, "baseline")
            with shop.load.running("replicas killed"):
                time.sleep(2)
                fault = shop.recorder.fault("kill -9 a replica of each service and the bank's relay")
                before = StackProcesses.find(stack.run_dir)
                killed = [kill_replica(before, service.name) for service in SERVICES]
                killed.append(kill_relay(before, "bank"))
                wait_for_restarts(stack, before, killed, timeout=90)
                fault.ended = now()
                fault.recovered = wait_until_ready(stack.url, timeout=60)
                fault.notes["killed"] = f"{len(killed) - 1} web replicas and 1 relay"
                fault.notes["all back in"] = fault.ended - fault.started
                time.sleep(4)
            _no_failures_outside_faults(shop, "replicas killed")
            with shop.load.running("after recovery"):
                time.sleep(4)
            _no_failures_outside_faults(shop, "after recovery")
            _check_everything(shop, REPLICA_SUFFIX)
            shop.figures["PostgreSQL sessions"] = pgbouncer.server_connections(REPLICA_SUFFIX, admin_url=db.admin_url())
        finally:
            with capsys.disabled():
                print(summary(shop, title="Two replicas behind PgBouncer"), flush=True)
    assert any(shop.books.outcomes[outcome] for outcome in ("transfer: moved", "checkout: paid"))
    failed = [check for check in shop.checks if not check.ok]
    assert shop.checks and not failed, failed


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


def test_a_postgresql_restart_is_survived_without_restarting_anything(shop: Shop) -> None:
    cluster = postgresql_cluster()
    if cluster is None:
        pytest.skip("no pg_ctlcluster for the stack's PostgreSQL on this machine")
    with shop.load.running("postgresql restart"):
        time.sleep(3)
        fault = shop.recorder.fault("postgresql restart")
        restart_postgresql(cluster, down_for=3)
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
    proxy = shop.proxy
    assert proxy is not None
    with shop.load.running("broker outage"):
        time.sleep(3)
        fault = shop.recorder.fault("broker outage")
        cut = datetime.now(UTC)
        proxy.stop()
        try:
            time.sleep(8)
        finally:
            proxy.start()
        restored = datetime.now(UTC)
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
    windows: list[EventFigures] = []

    def published() -> bool:
        windows[:] = [events_between(SUFFIX, cut, restored, shop.consumers)]
        return not windows[0].unpublished

    with contextlib.suppress(TimeoutError):
        poll_until(published, timeout=60, interval=0.5, message="the outage's events to be published")
    window = windows[0]
    assert window.events > 0 and window.unpublished == 0, window


def test_after_the_faults_every_invariant_holds(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with shop.load.running("after recovery"):
            time.sleep(8)
        _no_failures_outside_faults(shop, "after recovery")
        _check_everything(shop, SUFFIX)
    finally:
        with capsys.disabled():
            print(summary(shop), flush=True)
    failed = [check for check in shop.checks if not check.ok]
    assert shop.checks and not failed, failed


def _check_everything(shop: Shop, suffix: str) -> None:
    """Once the events are drained and the reconcilers done: every invariant, into `shop.checks`."""
    draining = now()
    assert drain_events(suffix=suffix, broker_url=shop.stack.environment.get("BROKER_URL"), timeout=120)
    wait_for_reconcilers(suffix)
    shop.figures["drained and reconciled"] = now() - draining
    shop.checks = money_invariants(shop.stack, shop.books, shop.catalog, suffix=suffix, phases=shop.recorder.phases)
    events = wait_for_events(suffix, shop.consumers)
    notified, transfers = transfer_notifications(suffix)
    twice = notifications_twice(suffix)
    shop.figures["events"] = events
    shop.checks += [
        Check("every outbox event was published", events.unpublished == 0, f"{events.unpublished} unpublished"),
        *outage_checks(suffix, shop.recorder.faults, shop.consumers),
        Check("every event reached every consumer that handles it (lost = 0)", not events.lost,
              f"{events.delivered:,} of {events.expected:,} delivered; lost: {events.lost[:5]}"),
        Check("no event was dead-lettered", events.dead_letters == 0, f"{events.dead_letters} dead letters"),
        Check("every transfer notified both sides", notified == 2 * transfers,
              f"{notified:,} notifications for {transfers:,} transfers"),
        Check("no event was handled twice (one notification per event and person)", not twice,
              f"{len(twice)} doubled: {twice[:5]}" if twice else f"{notified:,} transfer notifications, none doubled"),
        Check("no 5xx or unanswered request outside a fault's window",
              not shop.recorder.failures_outside_faults(), f"{len(shop.recorder.failures_outside_faults())} found"),
        Check("the clients got a definitive answer to every request", not shop.books.unknown,
              f"{len(shop.books.unknown)} accounts with an unknown outcome"),
    ]  # fmt: skip
