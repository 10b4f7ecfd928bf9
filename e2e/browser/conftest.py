"""Browser tests: Debian's Chromium, driven by Playwright, through the stack's gateway only.

Every step of a test is kept as a screenshot in e2e/browser/artifacts/<test>/ (git-ignored) and is
checked as a person would be let down: no console error, no uncaught exception, and no critical or
serious accessibility violation found by axe-core (web/node_modules/axe-core, installed with the
web client).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from e2e import shop
from e2e.conftest import Stack
from stack.gateway import ensure_command
from stack.services import REPO_ROOT

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = REPO_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PASSWORD = "a-long-browser-passphrase"
# How Chromium reports an answer with an error status to the console.
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)"""


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert AXE.exists(), "axe-core is missing: install the web client's packages (make web)"
    chromium = ensure_command("chromium", package="chromium")
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Tab:
    """A browser tab of one person, whose every step is screenshotted and checked."""

    page: Page
    folder: Path
    errors: list[str] = field(default_factory=list)
    # Error statuses the test provokes on purpose (a declined payment, say): Chromium logs each one.
    expected_statuses: set[int] = field(default_factory=set)
    steps: int = 0

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = FAILED_LOAD.search(message.text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return
        self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def step(self, name: str) -> None:
        """The page as it is now: screenshot it, and check it for errors and accessibility."""
        self.page.wait_for_load_state("networkidle")
        self.steps += 1
        self.page.screenshot(path=self.folder / f"{self.steps:02d}-{name}.png", full_page=True)
        violations = self.page.evaluate(AXE_RUN)
        assert not violations, f"{name}: accessibility violations:\n" + "\n".join(violations)
        assert not self.errors, f"{name}: errors in the browser:\n" + "\n".join(self.errors)

    def go(self, path: str) -> None:
        self.page.goto(path)


def open_tab(browser: Browser, stack: Stack, folder: Path, viewport: ViewportSize) -> tuple[BrowserContext, Tab]:
    context = browser.new_context(base_url=stack.url, viewport=viewport, locale="en-US")
    context.add_init_script(path=AXE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    tab = Tab(page=page, folder=folder)
    page.on("console", tab.on_console)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    return context, tab


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's folder of screenshots, emptied first."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def tabs(browser: Browser, stack: Stack, artifacts: Path) -> Iterator[Any]:
    """Open tabs (each its own browser profile, so its own session) for the test's people."""
    contexts: list[BrowserContext] = []

    def open_for(person: str, viewport: ViewportSize = DESKTOP) -> Tab:
        folder = artifacts / person
        folder.mkdir()
        context, tab = open_tab(browser, stack, folder, viewport)
        contexts.append(context)
        return tab

    yield open_for
    for context in contexts:
        context.close()


def new_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def product(stack: Stack, http: requests.Session) -> dict[str, Any]:
    """A product of the test's own (so no other test takes its stock), in a category."""
    staff = shop.staff(stack, http)
    suffix = uuid.uuid4().hex[:8]
    category = http.post(
        f"{stack.url}/catalog/api/categories/", json={"name": f"Kitchen {suffix}"}, headers=staff, timeout=10
    )
    assert category.status_code == 201, category.text
    response = http.post(
        f"{stack.url}/catalog/api/products/",
        json={
            "name": f"Moka pot {suffix}",
            "sku": f"MOKA-{suffix}",
            "price": 3500,
            "currency": "EUR",
            "stock": 10,
            "description": "A stovetop espresso maker for three cups.",
            "category_id": category.json()["id"],
        },
        headers=staff,
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())
