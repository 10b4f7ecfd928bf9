"""The scenarios of one serving mode (a gunicorn worker class) of one tree, on a stack of its own, interleaved."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench import lua, stackstats
from bench.baseline import Tree, launched_stack_of
from bench.flows import CheckoutFigures, IdleLatency, measure_checkouts, measure_events, measure_idle_latency
from bench.seeding import funded_customers, refresh_tokens, seed_products, sign_in_users, transfer_script
from bench.settings import LATENCY_TRANSFERS, ROUNDS, SECONDS, SIGN_IN_USERS, STACK_ENVIRONMENT, SUFFIX
from bench.wrk import Measurement, wrk
from stack import processes
from stack.client import Customer, ShopClient, bearer
from stack.db import rows
from stack.events import EventFigures, drain_events, notification_latencies
from stack.launch import LaunchedStack


@dataclass(frozen=True)
class Scenario:
    url: str
    headers: dict[str, str] | None = None
    # Called before each run: a wrk script (refresh tokens are good once, so each run needs new ones).
    script: Callable[[], Path] | None = None
    writes_events: bool = False


@dataclass
class ModeResults:
    """Everything measured on one stack with one worker class."""

    measurements: dict[str, Measurement]
    memory: dict[str, float] = field(default_factory=dict)  # "idle", "under load (peak)" -> MiB
    events: EventFigures | None = None
    events_usage: stackstats.Usage | None = None
    checkouts: CheckoutFigures | None = None
    idle_latency: IdleLatency | None = None


@dataclass(frozen=True)
class Seeded:
    """The scenarios by name, and the customers who move money in them."""

    scenarios: dict[str, Scenario]
    customers: list[Customer]


TRANSFERS = "transfer POST"
OWN_ACCOUNTS = "own accounts list (authenticated, database)"


def scenarios(stack: LaunchedStack, work: Path) -> Seeded:
    """Seed the shop for every scenario (users, accounts, products); return the scenarios by name."""
    users = sign_in_users(stack.url, SIGN_IN_USERS)
    bearer_header = bearer(ShopClient(stack.url).sign_in(*users[0])["access"])
    customers = funded_customers(stack.url)
    transfers = transfer_script(work, customers)
    login = lua.login_script(work, users)
    seed_products(stack.url)
    products = f"{stack.url}/catalog/api/products/"
    # The list page's very bytes as a static file of the gateway: the cached list's other reference.
    page = requests.get(products, timeout=10)
    page.raise_for_status()
    (stack.run_dir / "static" / "catalog" / "bench-product-list.json").write_bytes(page.content)

    def refresh() -> Path:
        return lua.refresh_script(work, refresh_tokens(stack.url, users), threads=2)

    named = {
        "nginx static (gateway /health)": Scenario(f"{stack.url}/health"),
        "nginx static file (the product list's bytes)": Scenario(f"{stack.url}/catalog/static/bench-product-list.json"),
        "health GET": Scenario(f"{stack.url}/bank/health/"),
        "authenticated GET (whoami)": Scenario(f"{stack.url}/bank/api/whoami/", bearer_header),
        "authenticated GET, direct to gunicorn": Scenario(
            f"{stack.service_url('bank')}/bank/api/whoami/", bearer_header
        ),
        # A customer's own accounts, as a client's first screen shows them: token, query, serializer.
        OWN_ACCOUNTS: Scenario(f"{stack.url}/bank/api/accounts/", customers[0].headers),
        "login (token)": Scenario(stack.url, script=lambda: login),
        "refresh (token/refresh)": Scenario(stack.url, script=refresh),
        TRANSFERS: Scenario(stack.url, script=lambda: transfers, writes_events=True),
        "product list, anonymous, micro-cached": Scenario(products),
        # A cookie makes the gateway bypass its cache; the catalog API ignores cookies, so
        # Django does exactly the work of an uncached anonymous list.
        "product list, anonymous, uncached": Scenario(products, {"Cookie": "bench=uncached"}),
    }
    return Seeded(named, customers)


def measure_rounds(runner: int, named: dict[str, Scenario]) -> dict[str, Measurement]:
    """Every scenario ROUNDS times, the order reversed every other round (ABBA), with what the stack used."""
    results = {name: Measurement(name) for name in named}
    for round_number in range(ROUNDS):
        order = list(named.items())
        for name, scenario in order if round_number % 2 == 0 else reversed(order):
            script = scenario.script() if scenario.script else None
            since = rows("bank", SUFFIX, "SELECT now()")[0][0] if scenario.writes_events else None
            delivered = None
            with stackstats.Sampler(runner) as sampler:
                figures = wrk(scenario.url, seconds=SECONDS, headers=scenario.headers, script=script)
                if since is not None:
                    # Relays and consumers finish the scenario's events after wrk stops: their CPU counts
                    # too, and the rate counts until the last event is in the inbox.
                    delivered = notification_latencies(SUFFIX, since)
                    drain_events(suffix=SUFFIX)
            results[name].add(figures, sampler.usage)
            if delivered is not None:
                results[name].delivered_rates.append(delivered.rate)
    return results


def bench_mode(mode: str, tree: Tree, *, first: bool) -> ModeResults:
    """Start the tree's stack with one worker class and measure every scenario, interleaved.

    The `first` mode also measures the flows: idle event latency, events under load, checkouts.
    """
    environment = {**STACK_ENVIRONMENT, "GUNICORN_WORKER_CLASS": mode}
    print(f"{time.strftime('%H:%M:%S')} {tree.label} ({mode}): starting its stack", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as work,
        launched_stack_of(tree, Path(work), environment=environment) as stack,
    ):
        runner = processes.runner_of(stack.run_dir)
        seeded = scenarios(stack, Path(work))
        named = seeded.scenarios
        for scenario in named.values():  # warm-up: connections, imports, caches
            wrk(scenario.url, seconds=2, headers=scenario.headers, script=scenario.script and scenario.script())
        drain_events(suffix=SUFFIX)
        time.sleep(3)
        print(f"{time.strftime('%H:%M:%S')} {tree.label} ({mode}): measuring", flush=True)
        results = ModeResults(measure_rounds(runner, named), memory={"idle": stackstats.resident_mib(runner)})
        if first:
            drain_events(suffix=SUFFIX)
            time.sleep(1)
            results.idle_latency = measure_idle_latency(stack.url, seeded.customers, LATENCY_TRANSFERS)
            transfers = named[TRANSFERS].script
            assert transfers is not None
            with stackstats.Sampler(runner) as sampler:
                results.events = measure_events(stack.url, transfers())
            results.events_usage = sampler.usage
            drain_events(suffix=SUFFIX)
            results.checkouts = measure_checkouts(stack, SECONDS * 2, runner=runner)
        flows = [usage for usage in (results.events_usage, results.checkouts and results.checkouts.usage) if usage]
        peaks = [m.peak_mib for m in results.measurements.values()] + [u.stack_peak_mib for u in flows]
        results.memory["under load (peak)"] = max(peaks)
        ledger = stack.manage("bank", "verify_ledger").strip()
        print(f"{time.strftime('%H:%M:%S')} {tree.label} ({mode}): {ledger}", flush=True)
        return results
