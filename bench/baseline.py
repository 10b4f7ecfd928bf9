"""The code a benchmarked stack runs: the working tree, or a baseline revision checked out beside it.

`make bench` measures the revision BENCH_BASELINE and the working tree in one run, one after the
other, with the same scenarios and the same reference figures, so that their ratios compare like
with like. The revision is checked out with `git worktree add` into a temporary folder, and that
folder's own `python -m stack run` is started from it with its own servicekit first on PYTHONPATH:
every process of that stack (gunicorn, relays, consumers, manage.py commands) runs the revision's
code, on this venv's libraries. The gateway serves the working tree's web client build.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servicekit.keys import write_keypair
from stack import web
from stack.launch import LIFTED_LIMITS, LaunchedStack, free_port_block, launched_stack
from stack.services import REPO_ROOT, SERVICES


@dataclass(frozen=True)
class Tree:
    """Which code one benchmarked stack runs: its name in the report, its folder, its databases' suffix."""

    label: str
    root: Path
    suffix: str

    @property
    def is_working_tree(self) -> bool:
        return self.root == REPO_ROOT


def short_revision(revision: str) -> str:
    """The revision's abbreviated commit hash (ValueError if git does not know it)."""
    found = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "--verify", f"{revision}^{{commit}}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        raise ValueError(f"BENCH_BASELINE: no revision {revision!r} in {REPO_ROOT}: {found.stderr.strip()}")
    return found.stdout.strip()


@contextmanager
def checked_out(revision: str) -> Iterator[Path]:
    """A worktree of `revision` in a temporary folder (detached, its own index); removed on exit."""
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as parent:
        root = Path(parent) / "tree"
        git = ["git", "-C", str(REPO_ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", "--quiet", str(root), revision], check=True)
        try:
            yield root
        finally:
            subprocess.run([*git, "remove", "--force", str(root)], check=False)
            subprocess.run([*git, "prune"], check=False)


@dataclass(frozen=True)
class StackAt(LaunchedStack):
    """A running stack whose code lives in `root`: its manage.py commands run from there, with its servicekit."""

    root: Path = REPO_ROOT

    def manage(self, service: str, *arguments: str) -> str:
        directory = self.root / next(candidate.directory for candidate in SERVICES if candidate.name == service)
        environment = {**self.environment, "DATABASE_URL": self._database_url(service)}
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=directory, env=environment,
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return result.stdout


def code_environment(root: Path) -> dict[str, str]:
    """What makes Python processes started in `root` import that tree's stack and servicekit first."""
    inherited = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join([str(root / "servicekit"), str(root), *([inherited] if inherited else [])])}


@contextmanager
def launched_stack_of(
    tree: Tree, work_dir: Path, *, environment: dict[str, str], timeout: float = 180
) -> Iterator[LaunchedStack]:
    """The stack of `tree` on free ports with fresh databases, as stack.launch starts the working tree's."""
    if tree.is_working_tree:
        with launched_stack(work_dir, db_suffix=tree.suffix, environment=environment, timeout=timeout) as stack:
            yield stack
        return
    private_path, public_path = write_keypair(work_dir / "keys")
    base = free_port_block(len(SERVICES) + 1)
    env = {
        **os.environ,
        "APP_ENV": "development",
        "JWT_PRIVATE_KEY_FILE": str(private_path),
        "JWT_PUBLIC_KEY_FILE": str(public_path),
        "STACK_DB_SUFFIX": tree.suffix,
        "DEVELOPMENT_SECRET_FILE": str(work_dir / "keys" / "development_secret"),
        # The web client is no part of what is measured: the working tree's build, made once.
        "GATEWAY_WEB_ROOT": str(web.ensure_built()),
        **LIFTED_LIMITS,
        **environment,
        **code_environment(tree.root),
    }
    command = [
        sys.executable, "-m", "stack", "run", "--fresh", "--db-suffix", tree.suffix,
        "--gateway-port", str(base), "--base-port", str(base + 1),
        "--run-dir", str(work_dir / "run"), "--log-dir", str(work_dir / "logs"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tree.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, bufsize=0,
    )  # fmt: skip
    try:
        _wait_until_ready(process, timeout=timeout)
        ports = {service.name: base + 1 + index for index, service in enumerate(SERVICES)}
        yield StackAt(
            url=f"http://127.0.0.1:{base}", work_dir=work_dir, environment=env, service_ports=ports, root=tree.root
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """Until the stack prints STACK READY; RuntimeError with what it printed if it exits or times out."""
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the baseline stack did not start:\n" + "".join(output))
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline().decode()
            output.append(line)
            if line.startswith("STACK READY"):
                return
