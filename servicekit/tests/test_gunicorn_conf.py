import contextlib
import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from servicekit.testing import serving
from servicekit.waiting import poll_until

BANK = Path(__file__).resolve().parents[2] / "bank_service"


@contextlib.contextmanager
def bank_under_gunicorn(output: Path, *, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The bank under gunicorn with servicekit's settings, as the stacks run it: its URL and master."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
        "APP_ENV": "development",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
    }
    url = f"http://127.0.0.1:{port}"
    with serving(
        [sys.executable, "-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf"],
        probe=f"{url}/bank/health/", what="gunicorn", output=output, timeout=60, cwd=BANK, env=environment,
    ) as master:  # fmt: skip
        yield url, master


@pytest.fixture(scope="module")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with bank_under_gunicorn(tmp_path_factory.mktemp("gunicorn") / "out.log", workers=1) as (url, _):
        yield url


def test_a_request_line_the_gateway_forwards_reaches_django(gunicorn_url: str) -> None:
    # nginx forwards request lines of up to 8 KiB; gunicorn's default stops at 4094 bytes with an HTML 414.
    response = requests.get(f"{gunicorn_url}/bank/health/?q={'x' * 8000}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"


def test_many_headers_reach_django(gunicorn_url: str) -> None:
    # gunicorn's default stops at 100 headers with an HTML 400; nginx forwards up to 32 KiB of them.
    headers = {f"X-Hostile-{number}": "1" for number in range(300)}
    response = requests.get(f"{gunicorn_url}/bank/health/", headers=headers, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"


def test_a_large_body_refused_unread_leaves_the_connection_usable(gunicorn_url: str) -> None:
    # Refused before its body is read (401: no token). gunicorn drains 64 KiB of an unread body at
    # most and otherwise closes the connection, which behind the gateway turned the 401 into a 502.
    connection = http.client.HTTPConnection(gunicorn_url.removeprefix("http://"), timeout=10)
    try:
        body = b'{"amount": 1, "padding": "' + b"x" * (300 * 1024) + b'"}'
        connection.request("POST", "/bank/api/deposits/", body=body, headers={"Content-Type": "application/json"})
        refused = connection.getresponse()
        refused.read()
        kept = connection.sock
        connection.request("GET", "/bank/health/")
        again = connection.getresponse()
        again.read()
        assert connection.sock is kept  # the same connection served both requests
    finally:
        connection.close()
    assert refused.status == 401
    assert again.status == 200


def test_a_worker_fetches_the_verification_keys_as_it_starts() -> None:
    """Before any request needs them: a worker started while auth is busy does not fail its first requests."""
    from servicekit.keys import generate_keypair, load_private_key, public_jwk
    from servicekit.stubs import json_server

    jwk = public_jwk(load_private_key(generate_keypair()[0]).public_key())
    with json_server(lambda request: (200, {"keys": [jwk]})) as jwks, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        environment = {
            **{
                key: value
                for key, value in os.environ.items()
                if key not in ("DJANGO_SETTINGS_MODULE", "JWT_PUBLIC_KEY_FILE")
            },
            "APP_ENV": "development",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            "LOG_LEVEL": "WARNING",
            "JWT_JWKS_URL": f"{jwks.url}/jwks.json",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf"],
            cwd=BANK, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:

            def fetched() -> bool:  # no request is sent to the worker at all
                assert process.poll() is None, "the worker exited before it fetched the keys"
                return jwks.requests > 0

            poll_until(fetched, timeout=60, interval=0.1, message="the worker to fetch the keys")
            assert jwks.received[0].path == "/jwks.json"
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_gunicorn_builds_no_access_log_lines_the_gateway_already_writes() -> None:
    from gunicorn.config import Config

    from servicekit import gunicorn_conf

    config = Config()
    config.set("logconfig_dict", gunicorn_conf.logconfig_dict)
    config.set("logger_class", gunicorn_conf.logger_class)
    logger = config.logger_class(config)
    assert isinstance(logger, gunicorn_conf.NoAccessLogLogger)
    assert logger.access_log_enabled is False

    def atoms(*args: object) -> dict[str, str]:
        raise AssertionError("an access line was built")

    logger.atoms = atoms
    logger.access(None, None, {}, None)
    # gunicorn's own logger would have built one under the same logging config.
    from gunicorn.glogging import Logger

    assert Logger(config).access_log_enabled is True


def _smaps(pid: int) -> dict[str, int]:
    """A process's memory summary from /proc, in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        figures[name.rstrip(":")] = int(value)
    return figures


def test_the_master_loads_the_service_once_and_its_workers_share_it(tmp_path: Path) -> None:
    """preload_app: the workers are forked from a master that has the service loaded, and each
    opens its own database connection after the fork (readiness queries the database)."""
    from servicekit import gunicorn_conf

    assert gunicorn_conf.preload_app is True
    with bank_under_gunicorn(tmp_path / "out.log", workers=2) as (url, master):
        with requests.Session() as session:
            answers = {session.get(f"{url}/bank/ready/", timeout=10).status_code for _ in range(8)}
        assert answers == {200}
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
        workers = poll_until(lambda: [int(pid) for pid in children.read_text().split()][1:] and
                             [int(pid) for pid in children.read_text().split()], timeout=30, interval=0.1)  # fmt: skip
        assert len(workers) == 2
        for worker in workers:
            memory = _smaps(worker)
            # Most of a worker's own memory (the loaded code and data) is the master's, shared.
            assert memory["Pss_Anon"] < 0.7 * memory["Anonymous"], memory


_LARGE_BLOCKS = """
import ctypes, sys, threading
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "fixed":
    from servicekit import gunicorn_conf
    gunicorn_conf.on_starting(None)

def hash_like_argon2():  # 19 MiB taken, written and given back, twice per thread
    for _ in range(2):
        block = libc.malloc(19 << 20)
        ctypes.memset(block, 1, 19 << 20)
        libc.free(block)

threads = [threading.Thread(target=hash_like_argon2) for _ in range(4)]
for thread in threads: thread.start()
for thread in threads: thread.join()
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) // 1024)
"""


def test_the_workers_give_large_blocks_back_once_freed() -> None:
    """A sign-in's Argon2 memory is returned after the hash, not kept in each thread's heap."""

    def resident_mib(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", _LARGE_BLOCKS, mode], capture_output=True, text=True, check=True)
        return int(run.stdout)

    assert resident_mib("glibc default") - resident_mib("fixed") > 40
    assert resident_mib("fixed") < 60
