"""The web client (web/): built into web/dist, which the gateway serves at `/`."""

from __future__ import annotations

import fcntl
import subprocess
from collections.abc import Iterator
from pathlib import Path

from stack.gateway import ensure_command
from stack.services import REPO_ROOT

WEB = REPO_ROOT / "web"
DIST = WEB / "dist"
# What the build reads: a change to any of them makes the build output stale.
SOURCES = ("src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json")


def _files(paths: Iterator[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from (child for child in path.rglob("*") if child.is_file())
        elif path.exists():
            yield path


def is_stale() -> bool:
    """True when the build output is missing or older than any of its sources."""
    index = DIST / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    return any(source.stat().st_mtime > built for source in _files(WEB / name for name in SOURCES))


def ensure_built() -> Path:
    """Build the client (`npm ci`, then `npm run build`) when its output is stale; return the output directory.

    Stacks started side by side (the tests start several) build it once: the others wait for the lock.
    """
    if not is_stale():
        return DIST
    npm = ensure_command("npm", package="npm")
    lock_path = REPO_ROOT / "var" / "web-build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_stale():
            print("building the web client (web/dist)", flush=True)
            installed = WEB / "node_modules" / ".package-lock.json"
            lockfile = WEB / "package-lock.json"
            if not installed.exists() or installed.stat().st_mtime < lockfile.stat().st_mtime:
                subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
            subprocess.run([npm, "run", "build"], cwd=WEB, check=True)
    return DIST
