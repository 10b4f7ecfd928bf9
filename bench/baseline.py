"""The code a benchmarked stack runs: the working tree, or a baseline revision checked out beside it.

`make bench` measures the revision BENCH_BASELINE and the working tree in one run, one after the
other, with the same scenarios and the same reference figures, so that their ratios compare like
with like. The revision is checked out with `git worktree add` into a temporary folder, and that
folder's own `python -m stack run` is started from it with its own servicekit first on PYTHONPATH:
every process of that stack (gunicorn, relays, consumers, manage.py commands) runs the revision's
code, on this venv's libraries. The gateway serves the working tree's web client build.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from stack import web
from stack.launch import LaunchedStack, launched_stack
from stack.services import REPO_ROOT


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


@contextmanager
def launched_stack_of(
    tree: Tree, work_dir: Path, *, environment: dict[str, str], timeout: float = 180
) -> Iterator[LaunchedStack]:
    """The stack of `tree` on free ports with fresh databases; the baseline's gateway serves the
    working tree's web client build (the client is no part of what is measured)."""
    if not tree.is_working_tree:
        environment = {"GATEWAY_WEB_ROOT": str(web.ensure_built()), **environment}
    with launched_stack(
        work_dir, db_suffix=tree.suffix, environment=environment, timeout=timeout, root=tree.root
    ) as stack:
        yield stack
