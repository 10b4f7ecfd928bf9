"""The toolkit that drives a running stack, on its own: no stack is started here.

Stand-in servers (servicekit.stubs) play the gateway where the tools speak HTTP.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench import stackstats
from bench.goals import Figure, Goal, goal_table
from bench.references import References
from bench.scenarios import OWN_ACCOUNTS, TRANSFERS, ModeResults
from bench.wrk import Measurement, parse
from e2e.load.clients import OutcomeUnknown, RetryingClient
from e2e.load.recording import Recorder
from servicekit.stubs import StubRequest, json_server
from stack import processes
from stack.client import ShopClient, UnexpectedAnswer
from stack.events import EventFigures, percentile
from stack.readiness import ReadinessWatch, wait_until_ready
from stack.supervisor import Restartable, reconcile_interval


def test_a_stat_line_is_read_whatever_the_command_name_holds() -> None:
    line = "4242 (gunicorn: (worker) x) S 4241 4242 4242 0 -1 4194560 10 0 0 0 250 150 0 0 20 0 1 0 9 0 0"
    found = processes.parse_stat(line)
    assert (found.name, found.state, found.parent) == ("gunicorn: (worker) x", "S", 4241)
    assert found.cpu_seconds == pytest.approx(400 / os.sysconf("SC_CLK_TCK"))


def test_this_process_is_read_from_proc() -> None:
    me = os.getpid()
    assert processes.alive(me)
    assert me in processes.children(os.getppid())
    assert processes.pss_kib(me) > 0
    assert processes.cmdline(me) and processes.cwd(me) is not None
    assert me in processes.tree(os.getppid())
    with pytest.raises(LookupError):
        processes.runner_of(Path("/nowhere/run"))


def test_reconcilers_take_the_interval_asked_for_and_others_keep_their_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = ("reconcile_orders", "--every", "30")
    assert reconcile_interval("orders-reconciler", command) == list(command)
    monkeypatch.setenv("RECONCILE_EVERY_SECONDS", "3")
    assert reconcile_interval("orders-reconciler", command) == ["reconcile_orders", "--every", "3"]
    assert reconcile_interval("orders-relay", ("relay_events",)) == ["relay_events"]
    workers = ("run_workers", "relay_events", "consume_events", "reconcile_orders:30")
    assert reconcile_interval("orders-worker", workers) == [*workers[:3], "reconcile_orders:3"]
    expirer = ("run_workers", "relay_events", "expire_reservations:30")
    assert reconcile_interval("catalog-worker", expirer) == list(expirer)


def test_every_service_that_publishes_or_consumes_is_watched_for_events() -> None:
    from stack.events import CONSUMERS, PRODUCERS

    assert PRODUCERS == ("auth", "bank", "catalog", "orders", "payments")
    assert CONSUMERS == ("orders", "notifications")


def test_a_background_process_that_keeps_exiting_waits_longer_each_time() -> None:
    worker = Restartable("bank-relay", ["true"], Path("."), {}, started_at=time.monotonic())
    assert [worker.exited() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert not worker.due()


def test_event_figures_say_the_rate_and_the_latency_percentiles() -> None:
    figures = EventFigures(
        written=Counter({"transfer.completed": 4}), delivered=4, latencies_ms=[40, 10, 30, 20], seconds=2
    )
    assert (figures.events, figures.rate, figures.p50_ms, figures.p99_ms) == (4, 2.0, 30, 40)
    assert EventFigures().rate == 0.0 and percentile([], 0.5) == 0.0


def test_wrk_output_is_read_into_rate_latency_and_errors() -> None:
    output = """Running 5s test @ http://127.0.0.1:1/health
  Latency Distribution
     50%  812.00us
     99%    1.20s
  10000 requests in 5.00s, 1.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2000.50
"""
    assert parse(output, "url") == {"rate": 2000.5, "p50": 0.812, "p99": 1200.0, "requests": 10000, "errors": 7}
    with pytest.raises(RuntimeError, match="measured nothing"):
        parse("", "url")


def test_the_shop_client_keys_money_moving_requests_and_names_an_unexpected_answer() -> None:
    def answer(request: StubRequest) -> tuple[int, Any]:
        if request.path == "/auth/api/token/":
            return 401, {"code": "not_authenticated"}
        return 201, {"id": "a1"}

    with json_server(answer) as gateway:
        client = ShopClient(gateway.url)
        assert client.open_account("t0k3n") == "a1"
        client.deposit("staff", "a1", 500)
        with pytest.raises(UnexpectedAnswer, match="401"):
            client.sign_in("someone@example.com", "wrong")
    opened, deposited, _ = gateway.received
    assert opened.headers["Authorization"] == "Bearer t0k3n"
    assert deposited.body == {"account_id": "a1", "amount": 500} and deposited.headers["Idempotency-Key"]


def test_the_retrying_client_resends_with_the_same_key_until_a_definitive_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([(503, {"code": "service_unavailable"}), (409, {"code": "idempotency_in_progress"}), (201, {})])
    monkeypatch.setattr("e2e.load.clients.time.sleep", lambda seconds: None)
    recorder = Recorder()
    with json_server(lambda request: next(answers)) as gateway:
        response = RetryingClient(gateway.url, recorder).cancel("t0k3n", "o1", key="k1")
    assert response.status_code == 201
    assert {request.headers["Idempotency-Key"] for request in gateway.received} == {"k1"}
    assert [(a.status, a.retry) for a in recorder.attempts] == [(503, False), (409, True), (201, True)]
    assert [a.operation for a in recorder.attempts] == ["cancel"] * 3


def test_the_retrying_client_gives_up_when_no_answer_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("e2e.load.clients.GIVE_UP_AFTER", 0.0)
    recorder = Recorder()
    with json_server(lambda request: (502, None)) as gateway, pytest.raises(OutcomeUnknown):
        RetryingClient(gateway.url, recorder).pay("t0k3n", "o1", "a1")
    assert recorder.failures_outside_faults() == recorder.attempts


def test_readiness_is_awaited_per_service_and_watched() -> None:
    asked: Counter[str] = Counter()
    lock = threading.Lock()

    def ready(request: StubRequest) -> tuple[int, Any]:
        name = request.path.strip("/").split("/")[0]
        with lock:
            asked[name] += 1
        checks = {"database": "ok", "broker": "ok" if asked[name] > 2 else "unreachable"}
        return (200 if asked[name] > 2 else 503), {"checks": checks}

    with json_server(ready) as gateway:
        wait_until_ready(gateway.url, timeout=10, names=("bank", "orders"), interval=0.01)
        assert asked == {"bank": 3, "orders": 3}
        with pytest.raises(TimeoutError, match="catalog"):
            wait_until_ready(gateway.url, timeout=0, names=("catalog",))
        with ReadinessWatch(gateway.url, interval=0.01, names=("payments",)) as watch:
            wait_until_ready(gateway.url, timeout=10, names=("payments",), interval=0.01)
    not_ready = watch.not_ready(0, float("inf"))["payments"]
    assert not_ready and all(probe.checks["broker"] == "unreachable" for probe in not_ready)


def test_a_goal_says_whether_it_is_met_and_by_how_much() -> None:
    ratio = Goal("sign-in / bare DRF GET", lambda *_: None, (0.015,), at_least=True, decimals=3)
    assert (ratio.target, ratio.verdict(Figure((0.02,)))) == ("≥ 0.015", "yes")
    assert ratio.verdict(Figure((0.006,))) == "no: 60% below, needs 2.5 times as much"
    assert ratio.shown(Figure((0.0064,), "7/s")) == "0.006 (7/s)"
    assert ratio.shown(None) == ratio.verdict(None) == "not measured"
    latency = Goal("latency, p50 / p99", lambda *_: None, (50, 250), at_least=False, unit=" ms", decimals=0,
                   parts=("p50", "p99"))  # fmt: skip
    assert latency.target == "≤ 50 ms / ≤ 250 ms"
    assert latency.verdict(Figure((40, 500))) == "no: p99 100% above, needs 50% less"
    assert latency.verdict(Figure((100, 500))).count("above") == 2


def _measured(name: str, rates: list[float], **more: Any) -> Measurement:
    return Measurement(name, rates=rates, p50_ms=[1.0] * len(rates), p99_ms=[2.0] * len(rates), **more)


def test_the_goal_table_puts_the_baseline_beside_the_working_tree() -> None:
    def results(login: float, delivered: float, cpu_seconds: float) -> ModeResults:
        named = {
            "login (token)": _measured("login", [login]),
            "health GET": _measured("health", [1000]),
            OWN_ACCOUNTS: _measured("own", [400]),
            "product list, anonymous, uncached": _measured("uncached", [300]),
            TRANSFERS: _measured("transfer", [200], requests=1000, delivered_rates=[delivered],
                                 cpu_by_process={"bank web": cpu_seconds, "PostgreSQL": cpu_seconds}),
        }  # fmt: skip
        return ModeResults(named, memory={"idle": 1000, "under load (peak)": 1200})

    references = References(bare={"gthread": _measured("bare", [2000])}, pgbench=[1000, 3000, 2000])
    baseline, now = results(4, 80, 5.0), results(40, 250, 2.0)
    table = goal_table(("now", now), references, "gthread", baseline=("baseline abc1234", baseline))
    assert table[0] == "| scenario | baseline abc1234 | now | goal | met? |"
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]
    rows = {scenario: rest for scenario, *rest in cells}
    assert rows["sign-in / bare DRF GET"] == ["0.002 (4/s)", "0.020 (40/s)", "≥ 0.015", "yes"]
    assert rows["transfers/s / pgbench TPC-B tps, events delivered"][:2] == ["0.040 (80/s)", "0.125 (250/s)"]
    assert rows["CPU per transfer, all processes until its event is in the inbox"][1:] == ["4.0 ms", "≤ 5.5 ms", "yes"]
    assert rows["authenticated own-accounts list / health GET"][1:] == [
        "0.40 (400/s)", "≥ 0.5", "no: 20% below, needs 1.2 times as much"
    ]  # fmt: skip
    assert rows["checkouts/s / pgbench TPC-B tps"][1:] == ["not measured", "≥ 0.015", "not measured"]
    assert rows["stack memory (PSS), idle / peak under load"][1:] == [
        "1,000 MiB / 1,200 MiB", "≤ 900 MiB / ≤ 1,300 MiB", "no: idle 11% above, needs 10% less"
    ]  # fmt: skip
    assert goal_table(("now", now), references, "gthread")[0] == "| scenario | now | goal | met? |"


def test_a_baseline_stack_s_processes_are_named_by_service(monkeypatch: pytest.MonkeyPatch) -> None:
    names = iter(["bank_service web", "order_service consume_events", "nginx", "notifications consume_events"])
    monkeypatch.setattr(processes, "label", lambda pid: next(names))
    assert [stackstats.label(0) for _ in range(4)] == ["bank web", "orders consume_events", "nginx",
                                                      "notifications consume_events"]  # fmt: skip
