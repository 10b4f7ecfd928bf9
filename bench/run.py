"""Throughput through the gateway, per gunicorn worker class, with reference rates from the same run.

Brings up the native stack (fresh `_bench` databases, free ports) once per serving mode, loads it
with wrk (nginx's own static answer, health, an authenticated GET without database work, transfers
between random pairs of many accounts, the anonymous product list with and without the gateway's
micro-cache), runs pgbench's TPC-B on the same PostgreSQL, and prints requests/s, latency and the
ratios that matter.
Settings: BENCH_SECONDS (per measurement, default 8), BENCH_CONNECTIONS (default 32),
BENCH_MODES (default "gthread uvicorn"), BENCH_ROUNDS (default 5). Rounds alternate the order of
the scenarios (ABBA) and the table reports medians, because a shared 2-core machine is noisy.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from stack import db, traffic  # noqa: E402
from stack.gateway import ensure_command  # noqa: E402
from stack.launch import launched_stack  # noqa: E402
from stack.services import SERVICES  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
MODES = os.environ.get("BENCH_MODES", "gthread uvicorn").split()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
RESULTS = REPO_ROOT / "bench" / "results"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Measurement:
    """Aggregated wrk figures for one scenario."""

    scenario: str
    rates: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0
    requests: int = 0

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str, *, seconds: int, headers: dict[str, str] | None = None, script: Path | None = None
) -> dict[str, float]:
    """Run wrk once and return its requests/s, p50, p99, requests and error count."""
    command = [ensure_command("wrk", package="wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    arguments = [url, "--", uuid.uuid4().hex] if script is not None else [url]
    output = subprocess.run([*command, *arguments], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if not {"50", "99"} <= percentiles.keys():
        raise RuntimeError(f"wrk measured nothing at {url}:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _duration_ms(percentiles["50"]),
        "p99": _duration_ms(percentiles["99"]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "errors": errors,
    }


TRANSFER_SCRIPT = """
-- Transfers of 1 cent between random pairs of the bench's accounts, each with a fresh Idempotency-Key.
local accounts = {%s}
local counter, prefix = 0, ""
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end
function init(args)
    prefix = args[1] .. "-" .. thread_number
    math.randomseed(os.time() + thread_number)
end
request = function()
    counter = counter + 1
    local i = math.random(#accounts)
    local j = math.random(#accounts - 1)
    if j >= i then j = j + 1 end
    local body = '{"source_account_id":"' .. accounts[i][2]
        .. '","target_account_id":"' .. accounts[j][2] .. '","amount":1}'
    return wrk.format("POST", "/bank/api/transfers/", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. accounts[i][1],
        ["Idempotency-Key"] = prefix .. "-" .. counter,
    }, body)
end
"""

ADMIN = {"email": "bench-admin@example.com", "password": "bench-admin-password-1"}
ACCOUNT_COUNT = int(os.environ.get("BENCH_ACCOUNTS", "40"))


_post = traffic.post


def transfer_script(base_url: str, work: Path) -> Path:
    """Register users, open and fund one account each, and write the wrk script that moves money among them."""
    admin_token = str(_post(f"{base_url}/auth/api/token/", ADMIN)["access"])
    accounts = []
    for _ in range(ACCOUNT_COUNT):
        customer = traffic.funded_customer(base_url, staff_token=admin_token, deposit=10_000_000, label="bench")
        accounts.append((customer.token, customer.account_id))
    script = work / "transfers.lua"
    script.write_text(TRANSFER_SCRIPT % ", ".join(f'{{"{token}", "{account}"}}' for token, account in accounts))
    return script


PRODUCT_COUNT = int(os.environ.get("BENCH_PRODUCTS", "60"))


def seed_products(base_url: str) -> None:
    """Add enough products that the anonymous list is a full page, as a shop's front page is."""
    admin_token = str(_post(f"{base_url}/auth/api/token/", ADMIN)["access"])
    for number in range(PRODUCT_COUNT):
        body = {
            "name": f"Bench product {number}",
            "sku": f"BENCH-{number}-{time.time_ns()}",
            "description": "A product of the benchmark catalog, with a description of a realistic length." * 2,
            "price": 100 + number,
            "currency": "EUR",
            "stock": 1000,
        }
        _post(f"{base_url}/catalog/api/products/", body, admin_token)


@dataclass
class EventFigures:
    """Outbox -> relay -> broker -> consumer -> inbox, measured during a transfer load."""

    events: int
    delivered: int
    rate: float
    p50_ms: float
    p99_ms: float


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def drain_events(*, timeout: float = 120) -> None:
    """Wait until every producer's outbox is published and every consumer's queue is empty.

    Called after each scenario that writes events, so that the next scenario is not measured
    while relays and consumers still work through the previous one's backlog.
    """
    traffic.drain_events(suffix="_bench", timeout=timeout)


@dataclass
class CheckoutFigures:
    """Order + pay, end to end through the gateway, by concurrent customers."""

    checkouts: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    hops: dict[str, float]

    @property
    def rate(self) -> float:
        return self.checkouts / self.seconds


CHECKOUT_USERS = int(os.environ.get("BENCH_CHECKOUT_USERS", "8"))


def measure_checkouts(stack: Any, seconds: int) -> CheckoutFigures:
    """Customers place an order and pay it, over and over, for `seconds`; then split the time per hop.

    The split comes from the logs, joined by request id: the gateway's access log (time in the
    order service) and the services' "service call" lines (time spent waiting for the catalog,
    payments and the bank).
    """
    import threading

    admin = str(_post(f"{stack.url}/auth/api/token/", ADMIN)["access"])
    product = _post(
        f"{stack.url}/catalog/api/products/",
        {"name": "Bench checkout item", "sku": f"CHECKOUT-{time.time_ns()}", "price": 100, "currency": "EUR",
         "stock": 1_000_000},
        admin,
    )  # fmt: skip
    customers = []
    for _ in range(CHECKOUT_USERS):
        customer = traffic.funded_customer(stack.url, staff_token=admin, deposit=100_000_000, label="checkout")
        customers.append((customer.token, customer.account_id))
    latencies: list[float] = []
    errors = [0]
    failures: list[str] = []
    lock = threading.Lock()

    def shop(token: str, account: str, deadline: float) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < deadline:
            started = time.perf_counter()
            placed = session.post(
                f"{stack.url}/orders/api/orders/",
                json={"items": [{"product_id": product["id"], "quantity": 1}]},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                timeout=30,
            )
            paid = None
            if placed.status_code == 201:
                paid = session.post(
                    f"{stack.url}/orders/api/orders/{placed.json()['id']}/pay/",
                    json={"account_id": account},
                    headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    timeout=30,
                )
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if paid is not None and paid.status_code == 200 and paid.json()["status"] == "paid":
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
                    failed = paid if paid is not None else placed
                    failures.append(f"{failed.status_code} {failed.text[:200]}")

    def run(duration: float) -> float:
        started = time.monotonic()
        threads = [threading.Thread(target=shop, args=(*customer, started + duration)) for customer in customers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    run(2)  # warm-up: connections, token keys, caches in every worker
    drain_events()
    latencies.clear()
    failures.clear()
    errors[0] = 0
    elapsed = run(seconds)
    for failure in sorted(set(failures))[:5]:
        print(f"checkout failed: {failure}", flush=True)
    return CheckoutFigures(len(latencies), errors[0], elapsed, latencies, hop_split(stack))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def hop_split(stack: Any) -> dict[str, float]:
    """Median milliseconds per hop of a checkout, from the gateway's access log and the services' logs."""
    import json

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
    """Load the stack with transfers, then follow every transfer.completed event to its inbox entries.

    Latency is from the event's row in the bank's outbox (written in the transfer's transaction)
    to the notification row the consumer wrote; the rate is events delivered per second of the
    whole window, from the first event written to the last one delivered.
    """
    services = {service.name: service for service in SERVICES}
    bank_url = db.database_url(services["bank"], suffix="_bench")
    inbox_url = db.database_url(services["notifications"], suffix="_bench")
    with psycopg.connect(bank_url) as bank:
        start = bank.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
    wrk(stack_url, seconds=SECONDS, script=script)
    with psycopg.connect(bank_url) as bank:
        written: dict[uuid.UUID, datetime] = dict(
            bank.execute(
                "SELECT event_id, occurred_at FROM servicekit_outboxevent"
                " WHERE event_type = 'transfer.completed' AND occurred_at >= %s",
                [start],
            ).fetchall()
        )
    delivered: dict[uuid.UUID, datetime] = {}
    deadline = time.monotonic() + 120
    with psycopg.connect(inbox_url, autocommit=True) as inbox:
        while len(delivered) < len(written) and time.monotonic() < deadline:
            rows = inbox.execute(
                "SELECT event_id, min(created_at) FROM notifications_notification"
                " WHERE event_id = ANY(%s) GROUP BY event_id",
                [list(written)],
            ).fetchall()
            delivered = dict(rows)
            time.sleep(0.5)
    latencies = [(delivered[key] - written[key]).total_seconds() * 1000 for key in delivered]
    window = (max(delivered.values()) - min(written.values())).total_seconds()
    return EventFigures(
        events=len(written),
        delivered=len(delivered),
        rate=len(delivered) / window,
        p50_ms=_percentile(latencies, 0.5),
        p99_ms=_percentile(latencies, 0.99),
    )


def pgbench_tps(seconds: int) -> float:
    """TPC-B (pgbench's built-in script) on the same PostgreSQL, in a scratch database."""
    pgbench = ensure_command("pgbench", package="postgresql-client")
    admin = db.admin_url()
    base = admin.rsplit("/", 1)[0]
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS bench_pgbench")
        connection.execute("CREATE DATABASE bench_pgbench")
    target = f"{base}/bench_pgbench"
    subprocess.run([pgbench, "-i", "-q", "-s", "4", target], check=True, capture_output=True)
    output = subprocess.run(
        [pgbench, "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(seconds), target],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", output)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{output}")
    return float(match.group(1))


PGBENCH_CLIENTS = int(os.environ.get("BENCH_PGBENCH_CLIENTS", "8"))


def bench_mode(mode: str) -> dict[str, Measurement]:
    """Start the stack with one worker class and measure every scenario, interleaved."""
    environment = {
        "GUNICORN_WORKER_CLASS": mode,
        "GATEWAY_AUTH_RATE": "1000r/s",
        "JWT_ACCESS_TOKEN_MINUTES": "60",
        "DEMO_ADMIN_EMAIL": ADMIN["email"],
        "DEMO_ADMIN_PASSWORD": ADMIN["password"],
        # Notification emails are rendered but not sent anywhere.
        "EMAIL_URL": "dummymail://",
        # INFO: each call from one service to another is logged with its time (the hop split).
        "LOG_LEVEL": "INFO",
    }
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as work,
        launched_stack(Path(work), db_suffix="_bench", environment=environment) as stack,
    ):
        email = f"bench-{time.time_ns()}@example.com"
        registered = _post(f"{stack.url}/auth/api/register/", {"email": email, "password": "bench-passphrase-1"})
        bearer = {"Authorization": f"Bearer {registered['access']}"}
        script = transfer_script(stack.url, Path(work))
        seed_products(stack.url)
        products = f"{stack.url}/catalog/api/products/"
        scenarios: dict[str, tuple[str, dict[str, str] | None, Path | None]] = {
            "nginx static (gateway /health)": (f"{stack.url}/health", None, None),
            "health GET": (f"{stack.url}/bank/health/", None, None),
            "authenticated GET (whoami)": (f"{stack.url}/bank/api/whoami/", bearer, None),
            "transfer POST": (stack.url, None, script),
            "product list, anonymous, micro-cached": (products, None, None),
            # A cookie makes the gateway bypass its cache; the catalog API ignores cookies, so
            # Django does exactly the work of an uncached anonymous list.
            "product list, anonymous, uncached": (products, {"Cookie": "bench=uncached"}, None),
        }
        for url, headers, lua in scenarios.values():
            wrk(url, seconds=2, headers=headers, script=lua)  # warm-up: connections, imports, caches
        results = {name: Measurement(name) for name in scenarios}
        for round_number in range(ROUNDS):
            order = list(scenarios.items())
            for name, (url, headers, lua) in order if round_number % 2 == 0 else reversed(order):
                figures = wrk(url, seconds=SECONDS, headers=headers, script=lua)
                if lua is not None:
                    drain_events()
                measurement = results[name]
                measurement.rates.append(figures["rate"])
                measurement.p50_ms.append(figures["p50"])
                measurement.p99_ms.append(figures["p99"])
                measurement.requests += int(figures["requests"])
                measurement.errors += int(figures["errors"])
        if mode == MODES[0]:
            drain_events()
            EVENTS[mode] = measure_events(stack.url, script)
            drain_events()
            CHECKOUTS[mode] = measure_checkouts(stack, SECONDS * 2)
        verify = stack.manage("bank", "verify_ledger")
        print(f"{mode}: {verify.strip()}", flush=True)
        return results


EVENTS: dict[str, EventFigures] = {}
CHECKOUTS: dict[str, CheckoutFigures] = {}


def report(results: dict[str, dict[str, Measurement]], tps: float) -> str:
    """Return the Markdown report: one row per mode and scenario, then the ratios."""
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} x {SECONDS}s per scenario, interleaved; medians.",
        "",
        "| mode | scenario | requests/s | p50 ms | p99 ms | requests | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for mode, measurements in results.items():
        for m in measurements.values():
            lines.append(
                f"| {mode} | {m.scenario} | {m.rate:,.0f} | {statistics.median(m.p50_ms):.2f} | "
                f"{statistics.median(m.p99_ms):.2f} | {m.requests:,} | {m.errors} |"
            )
    lines.append(f"| reference | pgbench TPC-B, {PGBENCH_CLIENTS} clients, scale 4 | {tps:,.0f} tps | | | | |")
    lines += ["", "| ratio | value |", "|---|---:|"]
    for mode, measurements in results.items():
        health, whoami = measurements["health GET"], measurements["authenticated GET (whoami)"]
        lines.append(f"| {mode}: authenticated GET / health GET | {whoami.rate / health.rate:.2f} |")
        lines.append(f"| {mode}: transfers/s / pgbench TPC-B tps | {measurements['transfer POST'].rate / tps:.2f} |")
        static = measurements["nginx static (gateway /health)"].rate
        cached = measurements["product list, anonymous, micro-cached"].rate
        uncached = measurements["product list, anonymous, uncached"].rate
        lines.append(f"| {mode}: cached product list / nginx static | {cached / static:.2f} |")
        lines.append(f"| {mode}: uncached product list / nginx static | {uncached / static:.2f} |")
        lines.append(f"| {mode}: cached / uncached product list | {cached / uncached:.1f} |")
    if "gthread" in results and "uvicorn" in results:
        for scenario in (
            "health GET",
            "authenticated GET (whoami)",
            "transfer POST",
            "product list, anonymous, uncached",
        ):
            ratio = results["gthread"][scenario].rate / results["uvicorn"][scenario].rate
            lines.append(f"| {scenario}: gthread / uvicorn | {ratio:.2f} |")
    for mode, checkout in CHECKOUTS.items():
        p50 = _percentile(checkout.latencies_ms, 0.5) if checkout.latencies_ms else 0.0
        p99 = _percentile(checkout.latencies_ms, 0.99) if checkout.latencies_ms else 0.0
        lines += [
            "",
            f"Checkouts ({mode}): {CHECKOUT_USERS} customers each placing an order and paying it, again and again,"
            f" for {checkout.seconds:.0f} s: {checkout.checkouts:,} paid orders, {checkout.rate:,.1f} checkouts/s,"
            f" p50 {p50:,.0f} ms, p99 {p99:,.0f} ms per checkout (order + pay), {checkout.errors} errors.",
            "",
            "| hop (median ms) | ms |",
            "|---|---:|",
            *(f"| {hop} | {ms:,.1f} |" for hop, ms in checkout.hops.items()),
        ]
    for mode, figures in EVENTS.items():
        lines += [
            "",
            f"Events ({mode}), during {SECONDS} s of transfers: {figures.events:,} transfer.completed events written,"
            f" {figures.delivered:,} delivered to the inbox; {figures.rate:,.0f} events/s end to end;"
            f" latency from the outbox row to the inbox entry p50 {figures.p50_ms:,.0f} ms,"
            f" p99 {figures.p99_ms:,.0f} ms.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    results = {mode: bench_mode(mode) for mode in MODES}
    tps = pgbench_tps(SECONDS * 2)
    text = report(results, tps)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.md").write_text(f"# Serving benchmark ({time.strftime('%Y-%m-%d')})\n\n{text}")
    print(text)


if __name__ == "__main__":
    main()
