"""nginx/watch-upstreams.sh: the gateway container reloads nginx when an upstream's address changes.

Run here with stand-ins for the two commands it calls: `getent` answers from a file the test
edits, and `nginx` records how it was called. The compose suite (e2e/compose) shows the real
thing: a restarted service container, at a new address, served again through the gateway.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.services import REPO_ROOT

SCRIPT = REPO_ROOT / "nginx" / "watch-upstreams.sh"


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The script running against a hosts file and an nginx call log; yields (hosts, calls)."""
    hosts, calls, commands = tmp_path / "hosts", tmp_path / "nginx-calls", tmp_path / "bin"
    hosts.write_text("auth 10.0.0.2\nbank 10.0.0.3\n")
    calls.touch()
    commands.mkdir()
    lookups = tmp_path / "lookups"
    (commands / "getent").write_text(
        f'#!/bin/sh\necho "$2" >> {lookups}\nawk -v name="$2" \'$1 == name {{print $2 "  " $1}}\' {hosts}\n'
    )
    (commands / "nginx").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    for command in commands.iterdir():
        command.chmod(0o755)
    environment = {
        "PATH": f"{commands}:/usr/bin:/bin",
        "AUTH_UPSTREAM": "auth:8000",
        "BANK_UPSTREAM": "bank:8000",
        "GATEWAY_RESOLVE_EVERY": "0.1",
    }
    started = subprocess.Popen(["/bin/sh", str(SCRIPT)], env=environment, start_new_session=True)
    try:
        assert started.wait(timeout=10) == 0  # it leaves the watching loop in the background
        deadline = time.monotonic() + 10
        # Both hosts looked up twice: the addresses it starts from are known, and it is watching.
        while not lookups.exists() or len(lookups.read_text().splitlines()) < 4:
            assert time.monotonic() < deadline, "the watching loop did not start"
            time.sleep(0.05)
        yield hosts, calls
    finally:
        os.killpg(started.pid, signal.SIGTERM)


def _reloads(calls: Path, *, after: float = 1.0) -> int:
    time.sleep(after)
    return calls.read_text().splitlines().count("-s reload")


def test_nothing_is_reloaded_while_the_addresses_stay(watched: tuple[Path, Path]) -> None:
    _, calls = watched
    assert _reloads(calls) == 0


def test_a_new_address_reloads_nginx_once_after_checking_its_configuration(watched: tuple[Path, Path]) -> None:
    hosts, calls = watched
    hosts.write_text("auth 10.0.0.2\nbank 10.0.0.9\n")
    assert _reloads(calls) == 1
    assert calls.read_text().splitlines() == ["-t -q", "-s reload"]


def test_a_host_that_does_not_resolve_waits_until_it_is_back(watched: tuple[Path, Path]) -> None:
    hosts, calls = watched
    hosts.write_text("auth 10.0.0.2\n")  # bank's container is down
    assert _reloads(calls) == 0
    hosts.write_text("auth 10.0.0.2\nbank 10.0.0.7\n")
    assert _reloads(calls) == 1
