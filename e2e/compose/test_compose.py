"""docker-compose.yml, unchanged, on real containers: the whole story through its gateway, then crashes.

The images are built from docker/Dockerfile and the project is brought up under its own name and
gateway port (see conftest.py); these tests run in file order on that one project.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from e2e import shop
from e2e.compose.conftest import FACTS, TIMINGS, Phase
from stack.compose import ComposeProject

pytestmark = pytest.mark.compose

RECOVERY_SECONDS = 30  # a restarted or crashed service must be served again within this


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _status(http: requests.Session, url: str, **kwargs: object) -> int:
    try:
        return http.get(url, timeout=5, **kwargs).status_code  # type: ignore[arg-type]
    except requests.RequestException:
        return 0


DNS_PROBE = Path(__file__).with_name("dns_probe.py").read_text()
DNS_PROBE_SECONDS = 20
# Once the engine's DNS answers again, a lookup that was waiting must finish within this.
DNS_RECOVERY_SECONDS = 1.5


def _dns_lag(probe: dict[str, Any]) -> tuple[float, float]:
    """(the longest a lookup went on after the DNS server answered again, the longest the server was silent)."""
    answered = sorted(probe["answered"])
    moments = [probe["started"], *answered, probe["ended"]]
    silence = max(following - previous for previous, following in itertools.pairwise(moments))
    lag = 0.0
    for started, ended in probe["lookups"]:
        position = bisect.bisect_left(answered, started)
        if position < len(answered) and answered[position] < ended:
            lag = max(lag, ended - answered[position])
    return lag, silence


@contextmanager
def dns_watched(compose: ComposeProject, during: str) -> Iterator[None]:
    """Look up the broker's name in payments, over and over, while the body runs; then check the lookups.

    An engine's DNS server may stop answering for seconds while containers start or stop (podman's
    aardvark-dns does); a lookup that was waiting must finish as soon as it answers again, not
    after the resolver's default 5 s per try: that made a service's first connections wait 10 s and
    its callers time out.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(
            compose.compose, "exec", "-T", "payments", "python", "-c", DNS_PROBE, "rabbitmq", str(DNS_PROBE_SECONDS)
        )
        yield
        probe = json.loads(running.result(timeout=DNS_PROBE_SECONDS + 60).stdout)
    lag, silence = _dns_lag(probe)
    FACTS.append(
        f"DNS in payments {during}: {len(probe['lookups'])} lookups; the server was silent for up to {silence:.1f} s, "
        f"and lookups finished at most {lag:.2f} s after it answered again"
    )
    assert lag <= DNS_RECOVERY_SECONDS, f"a lookup finished {lag:.1f} s after the DNS server answered again"


def test_the_postman_story_passes_on_its_first_run_as_soon_as_the_gateway_answers(
    compose: ComposeProject, http: requests.Session
) -> None:
    # No settling time and no second try: a user starts right after `up` returns and the gateway answers.
    with Phase("gateway answering after up"):
        deadline = time.monotonic() + 120
        while _status(http, f"{compose.url}/health") != 200:
            assert time.monotonic() < deadline, "the gateway did not answer within 120 s of `up`"
            time.sleep(0.2)
    with dns_watched(compose, "right after up"), Phase("newman (Postman collection)"):
        result = shop.newman(compose)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "assertions" in result.stdout


def test_every_service_is_ready_through_the_gateway(compose: ComposeProject, http: requests.Session) -> None:
    for service in ("auth", "bank", "catalog", "orders", "payments", "notifications"):
        response = http.get(f"{compose.url}/{service}/ready/", timeout=10)
        assert response.status_code == 200, (service, response.text)
        assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def _inbox_titles(compose: ComposeProject, http: requests.Session, owner: dict[str, str], wanted: set[str]) -> set[str]:
    deadline = time.monotonic() + 30
    while True:
        body = http.get(f"{compose.url}/notifications/api/notifications/", headers=owner, timeout=10).json()
        titles = {item["title"] for item in body["results"]}
        if wanted <= titles or time.monotonic() > deadline:
            return titles
        time.sleep(0.3)


def test_a_transfer_and_a_paid_checkout_reach_the_notification_inbox(
    compose: ComposeProject, http: requests.Session
) -> None:
    alice, bob = shop.customer(compose, http), shop.customer(compose, http)
    source = shop.funded_account(compose, http, alice, 10_000)
    target = shop.funded_account(compose, http, bob, 0)
    transfer = http.post(
        f"{compose.url}/bank/api/transfers/",
        json={"source_account_id": source, "target_account_id": target, "amount": 1_250},
        headers=shop.keyed(alice),
        timeout=15,
    )
    assert transfer.status_code == 201, transfer.text

    product = shop.product(compose, http, price=1_500, stock=3)
    placed = shop.order(compose, http, alice, product, 2)
    assert placed.status_code == 201, placed.text
    paid = shop.pay(compose, http, alice, placed.json()["id"], source)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert shop.balance(compose, http, alice, source) == 10_000 - 1_250 - 3_000

    wanted = {"You sent 12.50 EUR", "Order received: 30.00 EUR", "Order paid: 30.00 EUR"}
    assert wanted <= _inbox_titles(compose, http, alice, wanted)
    assert {"You received 12.50 EUR"} <= _inbox_titles(compose, http, bob, {"You received 12.50 EUR"})


def test_an_admin_login_page_and_its_static_files_are_served(compose: ComposeProject, http: requests.Session) -> None:
    page = http.get(f"{compose.url}/bank/admin/login/", timeout=10)
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.text
    stylesheet = re.search(r'href="(/bank/static/[^"]+\.css)"', page.text)
    assert stylesheet, page.text[:2000]
    css = http.get(f"{compose.url}{stylesheet.group(1)}", timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css") and css.content
    docs = http.get(f"{compose.url}/docs/", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_the_web_client_built_into_the_gateway_is_served_with_its_deep_links(
    compose: ComposeProject, http: requests.Session
) -> None:
    page = http.get(f"{compose.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
    assert script, page.text[:2000]
    asset = http.get(f"{compose.url}{script.group(1)}", timeout=10)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    deep = http.get(f"{compose.url}/me/orders", timeout=10)  # a route of the client, not a file
    assert deep.status_code == 200 and deep.text == page.text


def _last_upstream(compose: ComposeProject, prefix: str) -> str:
    """The address the gateway sent its last request under `prefix` to, from its access log."""
    last = ""
    for line in compose.logs("nginx").splitlines():
        start = line.find("{")
        try:
            entry = json.loads(line[start:]) if start >= 0 else {}
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("path", "").startswith(prefix) and entry.get("upstream"):
            last = entry["upstream"].rsplit(":", 1)[0]
    return last


def test_a_restarted_and_a_crashed_service_are_served_again_without_a_hand_on_the_gateway(
    compose: ComposeProject, http: requests.Session
) -> None:
    probes = {
        "bank": f"{compose.url}/bank/ready/",
        "catalog": f"{compose.url}/catalog/api/products/?page_size=1&probe={uuid.uuid4().hex}",
    }
    before = {service: compose.address(service) for service in probes}
    with dns_watched(compose, "while bank restarts and catalog crashes"):
        started = time.monotonic()
        compose.compose("restart", "bank")
        compose.crash("catalog")
        back: dict[str, float] = {}
        while len(back) < len(probes) and time.monotonic() - started < RECOVERY_SECONDS + 30:
            for service, url in probes.items():
                if service not in back and _status(http, url) == 200:
                    back[service] = time.monotonic() - started
            time.sleep(0.5)
    for service, seconds in back.items():
        TIMINGS[f"{service} served again after its {'restart' if service == 'bank' else 'crash'}"] = seconds
    after = {service: compose.address(service) for service in probes}
    assert set(back) == set(probes), f"not served again: {set(probes) - set(back)} (addresses {before} -> {after})"
    assert max(back.values()) <= RECOVERY_SECONDS, back
    for service in probes:
        FACTS.append(f"{service}: address {before[service]} before, {after[service]} after")
        # The gateway's last request went to the address the container has now.
        assert _last_upstream(compose, f"/{service}/") == after[service], (service, before, after)
