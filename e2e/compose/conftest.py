"""docker-compose.yml brought up for real: images built, containers started, torn down however the tests end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from stack import images
from stack.compose import ComposeProject, project_keys, project_name, write_env_file
from stack.engine import container_engine
from stack.launch import LIFTED_LIMITS, free_port_block

# Seconds per phase, printed at the end of the run.
TIMINGS: dict[str, float] = {}
FACTS: list[str] = []


class Phase:
    """Time one phase of the run into TIMINGS."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        TIMINGS[self.name] = time.monotonic() - self.started


@pytest.fixture(scope="session")
def compose(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeProject]:
    """The compose project, up and answering at its gateway; its logs are kept in the work folder."""
    work = tmp_path_factory.mktemp("compose")
    with container_engine(work / "engine") as engine:
        FACTS.append(f"engine: {engine.name}, compose: {' '.join(Path(part).name for part in engine.compose)}")
        with Phase("public images"):
            how = images.ensure_public_images(engine)
        FACTS.extend(f"{image}: {source}" for image, source in how.items())
        with Phase("service images"):
            images.build_service_images(engine)
        port = free_port_block(1)
        # As a user's `cp .env.example .env` would have it (APP_ENV=development: the demo admin and
        # catalog are seeded), with every example secret replaced.
        env_file = write_env_file(
            work / "compose.env",
            GATEWAY_PORT=str(port),
            JWT_PRIVATE_KEY_PATH=str(project_keys(work)),
            DEMO_ADMIN_EMAIL=ADMIN_EMAIL,
            DEMO_ADMIN_PASSWORD=ADMIN_PASSWORD,
            **LIFTED_LIMITS,
        )
        project = ComposeProject(engine, project_name(), env_file, port)
        try:
            with Phase("up"):
                project.up()
            yield project
        finally:
            logs = project.compose("logs", "--no-color", "--timestamps", check=False)
            (work / "compose.log").write_text(logs.stdout + logs.stderr)
            FACTS.append(f"the containers' logs: {work / 'compose.log'}")
            with Phase("down -v"):
                project.down()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS and not FACTS:
        return
    terminalreporter.section("compose stack")
    for fact in FACTS:
        terminalreporter.write_line(fact)
    for phase, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{phase:<40} {seconds:6.1f} s")
