import socket
import sys
from pathlib import Path

import pytest

from servicekit.testing import serving


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_exits_before_answering_is_reported_with_its_output(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('cannot bind', flush=True); raise SystemExit(3)"]
    with (
        pytest.raises(RuntimeError, match=r"(?s)exited with status 3.*cannot bind"),
        serving(command, probe=f"http://127.0.0.1:{_free_port()}/", what="x", output=tmp_path / "out", timeout=10),
    ):
        pass


def test_a_server_is_used_once_it_answers_and_stopped_afterwards(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with serving(command, probe=f"http://127.0.0.1:{port}/", what="x", output=tmp_path / "out", timeout=20) as process:
        assert process.poll() is None
    assert process.poll() is not None
