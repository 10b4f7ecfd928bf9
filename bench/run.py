"""Throughput through the gateway, per gunicorn worker class, with reference rates from the same run.

Brings up the native stack (fresh `_bench` databases, free ports) once per serving mode, loads it
with wrk (nginx's own static answer, health, an authenticated GET without database work, sign-in,
token refresh, transfers between random pairs of many accounts, the anonymous product list with
and without the gateway's micro-cache), then full checkouts and events end to end; runs a bare
DRF endpoint on the same gunicorn settings and pgbench's TPC-B on the same PostgreSQL as
references; reads the CPU time and memory of the stack's processes from /proc during each
scenario; and writes a Markdown report and a PNG chart under bench/results/.
Settings: BENCH_SECONDS (per measurement, default 5), BENCH_CONNECTIONS (default 32),
BENCH_MODES (default "gthread"; "gthread uvicorn" compares worker classes), BENCH_ROUNDS (default
3). Rounds alternate the order of the scenarios (ABBA) and the table reports medians, because a
shared 2-core machine is noisy.
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench import chart, lua, stackstats  # noqa: E402
from servicekit.testing import serving  # noqa: E402
from stack import db, processes, traffic  # noqa: E402
from stack.gateway import ensure_command  # noqa: E402
from stack.launch import free_port_block, launched_stack  # noqa: E402
from stack.services import SERVICES  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
MODES = os.environ.get("BENCH_MODES", "gthread").split()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
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
    stack_cores: list[float] = field(default_factory=list)
    postgres_cores: list[float] = field(default_factory=list)
    peak_mib: float = 0.0
    cpu_by_process: dict[str, float] = field(default_factory=dict)  # CPU seconds over every round

    def add_usage(self, usage: stackstats.Usage | None) -> None:
        if usage is not None:
            self.stack_cores.append(usage.stack_cores)
            self.postgres_cores.append(usage.postgres_cores)
            self.peak_mib = max(self.peak_mib, usage.stack_peak_mib)
            for name, seconds in usage.by_process.items():
                self.cpu_by_process[name] = self.cpu_by_process.get(name, 0.0) + seconds

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
    # A 10 s timeout: a sign-in (a deliberately slow password hash) queued behind 31 others takes seconds.
    command = [ensure_command("wrk", package="wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "10s"]
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
    usage: stackstats.Usage | None = None


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
    usage: stackstats.Usage | None = None

    @property
    def rate(self) -> float:
        return self.checkouts / self.seconds


CHECKOUT_USERS = int(os.environ.get("BENCH_CHECKOUT_USERS", "8"))


def measure_checkouts(stack: Any, seconds: int, *, runner: int | None = None) -> CheckoutFigures:
    """Customers place an order and pay it, over and over, for `seconds`; then split the time per hop.

    With the stack's `runner` pid, the CPU and memory of the measured seconds are sampled too
    (not of the set-up: registering the customers hashes their passwords).

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
    with stackstats.Sampler(runner) if runner else nullcontext() as sampler:
        elapsed = run(seconds)
        drain_events()  # the checkouts' events are part of what they cost
    for failure in sorted(set(failures))[:5]:
        print(f"checkout failed: {failure}", flush=True)
    time.sleep(1.5)  # the gateway writes its access log out at least every second
    figures = CheckoutFigures(len(latencies), errors[0], elapsed, latencies, hop_split(stack))
    figures.usage = sampler.usage if sampler else None
    return figures


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


@contextmanager
def bare_reference(mode: str) -> Iterator[str]:
    """Serve bench/bare (one DRF APIView, no database) with the services' gunicorn settings; yield its URL."""
    port = free_port_block(1)
    environment = {
        **os.environ,
        "GUNICORN_WORKER_CLASS": mode,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "SERVICE_NAME": "bare",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "warning",
    }
    url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryDirectory(prefix="bench-bare-") as work,
        serving(
            [sys.executable, "-m", "gunicorn", "-c", "python:gunicorn_conf"],
            probe=f"{url}/hello/", what="the bare DRF reference", output=Path(work) / "gunicorn.log", timeout=30,
            cwd=REPO_ROOT / "bench" / "bare", env=environment, start_new_session=True,
        ),
    ):  # fmt: skip
        yield url


SIGN_IN_USERS = max(64, CONNECTIONS * 2)


def sign_in_users(base_url: str, count: int) -> list[tuple[str, str]]:
    """Register `count` users for the sign-in and refresh scenarios; return their emails and passwords."""
    users = [(f"bench-signin-{number}-{time.time_ns()}@example.com", "bench-passphrase-1") for number in range(count)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda user: _post(f"{base_url}/auth/api/register/", {"email": user[0], "password": user[1]}),
                      users))  # fmt: skip
    return users


def refresh_tokens(base_url: str, users: list[tuple[str, str]]) -> list[str]:
    """A fresh refresh token of each user (each sign-in gives one; each is good for one refresh)."""

    def sign_in(user: tuple[str, str]) -> str:
        return str(_post(f"{base_url}/auth/api/token/", {"email": user[0], "password": user[1]})["refresh"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(sign_in, users))


@dataclass(frozen=True)
class Scenario:
    url: str
    headers: dict[str, str] | None = None
    # Called before each run: a wrk script (refresh tokens are good once, so each run needs new ones).
    script: Callable[[], Path] | None = None
    writes_events: bool = False


MEMORY: dict[str, dict[str, float]] = {}
STACK_ENVIRONMENT = {
    "GATEWAY_AUTH_RATE": "100000r/s",
    "GATEWAY_AUTH_BURST": "100000",
    "JWT_ACCESS_TOKEN_MINUTES": "60",
    "DEMO_ADMIN_EMAIL": ADMIN["email"],
    "DEMO_ADMIN_PASSWORD": ADMIN["password"],
    # Notification emails are rendered but not sent anywhere.
    "EMAIL_URL": "dummymail://",
    # INFO: each call from one service to another is logged with its time (the hop split).
    "LOG_LEVEL": "INFO",
}


def bench_mode(mode: str) -> dict[str, Measurement]:
    """Start the stack with one worker class and measure every scenario, interleaved."""
    environment = {**STACK_ENVIRONMENT, "GUNICORN_WORKER_CLASS": mode}
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as work,
        launched_stack(Path(work), db_suffix="_bench", environment=environment) as stack,
        bare_reference(mode) as bare_url,
    ):
        runner = processes.runner_of(stack.run_dir)
        users = sign_in_users(stack.url, SIGN_IN_USERS)
        registered = _post(f"{stack.url}/auth/api/token/", {"email": users[0][0], "password": users[0][1]})
        bearer = {"Authorization": f"Bearer {registered['access']}"}
        transfers = transfer_script(stack.url, Path(work))
        login = lua.login_script(Path(work), users)
        seed_products(stack.url)
        products = f"{stack.url}/catalog/api/products/"
        # The list page's very bytes as a static file of the gateway: the cached list's other reference.
        page = requests.get(products, timeout=10)
        page.raise_for_status()
        (stack.run_dir / "static" / "catalog" / "bench-product-list.json").write_bytes(page.content)

        def refresh() -> Path:
            return lua.refresh_script(Path(work), refresh_tokens(stack.url, users), threads=2)

        scenarios = {
            "nginx static (gateway /health)": Scenario(f"{stack.url}/health"),
            "nginx static file (the product list's bytes)": Scenario(
                f"{stack.url}/catalog/static/bench-product-list.json"
            ),
            "bare DRF GET, direct to gunicorn (reference)": Scenario(f"{bare_url}/hello/"),
            "health GET": Scenario(f"{stack.url}/bank/health/"),
            "authenticated GET (whoami)": Scenario(f"{stack.url}/bank/api/whoami/", bearer),
            "authenticated GET, direct to gunicorn": Scenario(f"{stack.service_url('bank')}/bank/api/whoami/", bearer),
            "login (token)": Scenario(stack.url, script=lambda: login),
            "refresh (token/refresh)": Scenario(stack.url, script=refresh),
            "transfer POST": Scenario(stack.url, script=lambda: transfers, writes_events=True),
            "product list, anonymous, micro-cached": Scenario(products),
            # A cookie makes the gateway bypass its cache; the catalog API ignores cookies, so
            # Django does exactly the work of an uncached anonymous list.
            "product list, anonymous, uncached": Scenario(products, {"Cookie": "bench=uncached"}),
        }
        for scenario in scenarios.values():  # warm-up: connections, imports, caches
            wrk(scenario.url, seconds=2, headers=scenario.headers, script=scenario.script and scenario.script())
        drain_events()
        time.sleep(3)
        memory = {"idle": stackstats.resident_mib(runner)}
        results = {name: Measurement(name) for name in scenarios}
        for round_number in range(ROUNDS):
            order = list(scenarios.items())
            for name, scenario in order if round_number % 2 == 0 else reversed(order):
                script = scenario.script() if scenario.script else None
                with stackstats.Sampler(runner) as sampler:
                    figures = wrk(scenario.url, seconds=SECONDS, headers=scenario.headers, script=script)
                    if scenario.writes_events:
                        # Relays and consumers finish the scenario's events after wrk stops: their CPU counts too.
                        drain_events()
                measurement = results[name]
                measurement.rates.append(figures["rate"])
                measurement.p50_ms.append(figures["p50"])
                measurement.p99_ms.append(figures["p99"])
                measurement.requests += int(figures["requests"])
                measurement.errors += int(figures["errors"])
                measurement.add_usage(sampler.usage)
        if mode == MODES[0]:
            drain_events()
            with stackstats.Sampler(runner) as sampler:
                EVENTS[mode] = measure_events(stack.url, transfers)
            EVENTS[mode].usage = sampler.usage
            drain_events()
            CHECKOUTS[mode] = measure_checkouts(stack, SECONDS * 2, runner=runner)
        flows = [figures.usage for figures in (EVENTS.get(mode), CHECKOUTS.get(mode)) if figures and figures.usage]
        memory["under load (peak)"] = max([m.peak_mib for m in results.values()] + [u.stack_peak_mib for u in flows])
        MEMORY[mode] = memory
        verify = stack.manage("bank", "verify_ledger")
        print(f"{mode}: {verify.strip()}", flush=True)
        return results


EVENTS: dict[str, EventFigures] = {}
CHECKOUTS: dict[str, CheckoutFigures] = {}


def _usage_cells(stack_cores: list[float], postgres_cores: list[float], peak_mib: float) -> str:
    if not stack_cores:
        return " | |"
    return f" {statistics.median(stack_cores):.2f} + {statistics.median(postgres_cores):.2f} | {peak_mib:,.0f} |"


def _flow_usage(usage: stackstats.Usage | None) -> str:
    return _usage_cells([usage.stack_cores], [usage.postgres_cores], usage.stack_peak_mib) if usage else " | |"


def _row(mode: str, name: str, rate: str, p50: float, p99: float, count: int, errors: int, usage: str) -> str:
    """One scenario's row of the main table."""
    return f"| {mode} | {name} | {rate} | {_ms(p50)} | {_ms(p99)} | {count:,} | {errors} |{usage}"


def _ms(value: float) -> str:
    """Milliseconds with decimals only where they matter: 0.19, 18.32, 2,490."""
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def cpu_per_operation(results: dict[str, dict[str, Measurement]]) -> list[str]:
    """Where the CPU of one transfer and of one checkout goes: milliseconds per operation, per kind of process."""
    mode = next(iter(results))
    columns: dict[str, tuple[dict[str, float], int]] = {}
    transfer = results[mode]["transfer POST"]
    if transfer.cpu_by_process and transfer.requests:
        columns["transfer POST"] = (transfer.cpu_by_process, transfer.requests)
    checkout = CHECKOUTS.get(mode)
    if checkout and checkout.usage and checkout.checkouts:
        columns["checkout (order + pay)"] = (checkout.usage.by_process, checkout.checkouts)
    if not columns:
        return []
    totals: dict[str, float] = {}
    for spent, count in columns.values():
        for name, seconds in spent.items():
            totals[name] = totals.get(name, 0.0) + seconds / count
    shown = [name for name, value in sorted(totals.items(), key=lambda item: -item[1]) if value * 1000 >= 0.05]
    lines = [
        "",
        f"CPU per operation ({mode}): milliseconds of CPU one operation cost each kind of process, from /proc"
        " over the measured seconds and until the operations' events were all delivered.",
        "",
        "| process | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name in shown:
        cells = [f"{1000 * spent.get(name, 0.0) / count:.2f}" for spent, count in columns.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cells = [f"{1000 * sum(spent.values()) / count:.2f}" for spent, count in columns.values()]
    return [*lines, "| all of them | " + " | ".join(cells) + " |"]


def report(results: dict[str, dict[str, Measurement]], tps: float) -> str:
    """Return the Markdown report: one row per mode and scenario, then the ratios."""
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} x {SECONDS}s per scenario, interleaved; medians. "
        "CPU is cores busy while the scenario ran (for one that writes events, until they were all delivered): "
        "the stack's processes (web workers, relays, consumers, nginx) + PostgreSQL's; memory is the stack's "
        "peak PSS.",
        "",
        "| mode | scenario | requests/s | p50 ms | p99 ms | requests | errors | CPU cores, stack + PostgreSQL "
        "| peak MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, measurements in results.items():
        for m in measurements.values():
            lines.append(
                _row(mode, m.scenario, f"{m.rate:,.0f}", statistics.median(m.p50_ms), statistics.median(m.p99_ms),
                     m.requests, m.errors, _usage_cells(m.stack_cores, m.postgres_cores, m.peak_mib))
            )  # fmt: skip
        if mode in CHECKOUTS:
            checkout = CHECKOUTS[mode]
            lines.append(
                _row(mode, f"full checkout (order + pay), {CHECKOUT_USERS} customers", f"{checkout.rate:,.1f}",
                     _percentile(checkout.latencies_ms, 0.5), _percentile(checkout.latencies_ms, 0.99),
                     checkout.checkouts, checkout.errors, _flow_usage(checkout.usage))
            )  # fmt: skip
        if mode in EVENTS:
            events = EVENTS[mode]
            lines.append(
                _row(mode, "events end to end (outbox to inbox, during transfers)", f"{events.rate:,.0f}",
                     events.p50_ms, events.p99_ms, events.delivered, events.events - events.delivered,
                     _flow_usage(events.usage))
            )  # fmt: skip
    lines.append(f"| reference | pgbench TPC-B, {PGBENCH_CLIENTS} clients, scale 4 | {tps:,.0f} tps | | | | | | |")
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    for mode, measurements in results.items():
        health, whoami = measurements["health GET"], measurements["authenticated GET (whoami)"]
        bare = measurements["bare DRF GET, direct to gunicorn (reference)"].rate
        direct = measurements["authenticated GET, direct to gunicorn"].rate
        static = measurements["nginx static (gateway /health)"].rate
        static_file = measurements["nginx static file (the product list's bytes)"].rate
        cached = measurements["product list, anonymous, micro-cached"].rate
        uncached = measurements["product list, anonymous, uncached"].rate
        transfer = measurements["transfer POST"].rate
        lines += [
            f"| {mode}: authenticated GET / health GET, both through the gateway | {whoami.rate / health.rate:.2f} "
            "| ≥ 0.9 |",
            f"| {mode}: transfers/s / pgbench TPC-B tps | {transfer / tps:.2f} | ≥ 0.3 |",
            f"| {mode}: cached product list / nginx static | {cached / static:.2f} | ≥ 0.5 |",
            f"| {mode}: cached product list / nginx static file of the same bytes | {cached / static_file:.2f} | |",
            f"| {mode}: authenticated GET / bare DRF GET, both direct to gunicorn | {direct / bare:.2f} | |",
            f"| {mode}: health GET through the gateway / bare DRF GET direct | {health.rate / bare:.2f} | |",
            f"| {mode}: uncached product list / bare DRF GET | {uncached / bare:.2f} | |",
            f"| {mode}: cached / uncached product list | {cached / uncached:.1f} | |",
            f"| {mode}: login / bare DRF GET | {measurements['login (token)'].rate / bare:.3f} | |",
            f"| {mode}: refresh / bare DRF GET | {measurements['refresh (token/refresh)'].rate / bare:.2f} | |",
        ]
        if mode in CHECKOUTS:
            lines.append(f"| {mode}: checkouts/s / pgbench TPC-B tps | {CHECKOUTS[mode].rate / tps:.3f} | |")
        errors = sum(m.errors for m in measurements.values()) + (CHECKOUTS[mode].errors if mode in CHECKOUTS else 0)
        lines.append(f"| {mode}: errors in every scenario | {errors} | 0 |")
    if "gthread" in results and "uvicorn" in results:
        compared = ("health GET", "authenticated GET (whoami)", "transfer POST", "product list, anonymous, uncached")
        for scenario in compared:
            ratio = results["gthread"][scenario].rate / results["uvicorn"][scenario].rate
            lines.append(f"| {scenario}: gthread / uvicorn | {ratio:.2f} | |")
    for mode, memory in MEMORY.items():
        lines += [
            "",
            f"Memory ({mode}): the whole native stack (six services' gunicorn masters and workers, "
            f"{sum(len(s.workers) for s in SERVICES)} relays, consumers and reconcilers, nginx; PSS) "
            f"{memory['idle']:,.0f} MiB idle, {memory['under load (peak)']:,.0f} MiB at its peak under load.",
        ]
    for mode, checkout in CHECKOUTS.items():
        lines += [
            "",
            f"Checkouts ({mode}): {CHECKOUT_USERS} customers each placing an order and paying it, again and again,"
            f" for {checkout.seconds:.0f} s: {checkout.checkouts:,} paid orders. Median time per hop:",
            "",
            "| hop (median ms) | ms |",
            "|---|---:|",
            *(f"| {hop} | {ms:,.1f} |" for hop, ms in checkout.hops.items()),
        ]
    lines += cpu_per_operation(results)
    for mode, figures in EVENTS.items():
        lines += [
            "",
            f"Events ({mode}), during {SECONDS} s of transfers: {figures.events:,} transfer.completed events written,"
            f" {figures.delivered:,} delivered to the inbox; {figures.rate:,.0f} events/s end to end;"
            f" latency from the outbox row to the inbox entry p50 {figures.p50_ms:,.0f} ms,"
            f" p99 {figures.p99_ms:,.0f} ms.",
        ]
    return "\n".join(lines) + "\n"


def draw_chart(results: dict[str, dict[str, Measurement]]) -> Path:
    """bench/results/serving.png: requests/s and p50/p99 of every scenario of the first mode."""
    mode = next(iter(results))
    bars = [
        chart.Bar(m.scenario, m.rate, statistics.median(m.p50_ms), statistics.median(m.p99_ms))
        for m in results[mode].values()
    ]
    if mode in CHECKOUTS and CHECKOUTS[mode].latencies_ms:
        checkout = CHECKOUTS[mode]
        p50, p99 = _percentile(checkout.latencies_ms, 0.5), _percentile(checkout.latencies_ms, 0.99)
        bars.append(chart.Bar("full checkout (order + pay)", checkout.rate, p50, p99))
    if mode in EVENTS:
        events = EVENTS[mode]
        bars.append(chart.Bar("events end to end", events.rate, events.p50_ms, events.p99_ms))
    path = RESULTS / "serving.png"
    chart.draw(bars, path, title=f"make bench ({mode} workers, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})")
    return path


def main() -> None:
    results = {mode: bench_mode(mode) for mode in MODES}
    tps = pgbench_tps(SECONDS * 2)
    text = report(results, tps)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.md").write_text(
        f"# Serving benchmark ({time.strftime('%Y-%m-%d')})\n\n![requests/s and latency](serving.png)\n\n{text}"
    )
    draw_chart(results)
    print(text)


if __name__ == "__main__":
    main()
