"""docker-compose.yml run as a project of its own: its own name, environment file, keys and gateway port."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from servicekit.keys import write_keypair
from stack.engine import Engine
from stack.images import COMPOSE_FILE
from stack.services import REPO_ROOT, SERVICES

ENV_EXAMPLE = REPO_ROOT / ".env.example"
EXAMPLE_SECRET_MARK = "change-me"


def write_env_file(path: Path, **overrides: str) -> Path:
    """An environment file for compose: .env.example's values, and a new random value for every secret.

    A secret is any value of .env.example, or default in docker-compose.yml, that says "change-me"
    (with APP_ENV=production the services refuse to start with one of those).
    """
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith("#"):
            values[name] = value
    for name, default in re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}", COMPOSE_FILE.read_text()):
        values.setdefault(name, default)
    for name, value in values.items():
        if EXAMPLE_SECRET_MARK in value:
            values[name] = secrets.token_urlsafe(32)
    values.update(overrides)
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    path.chmod(0o600)
    return path


# What compose may see of the caller's environment: how to reach the engine, nothing of the app's
# (compose lets the environment override the environment file, so APP_ENV, say, would leak in).
_ENGINE_VARIABLES = re.compile(r"^(PATH|HOME|LANG|LC_[A-Z]+|TMPDIR|XDG_[A-Z_]+|DOCKER_[A-Z_]+|CONTAINERS_[A-Z_]+)$")


@dataclass(frozen=True)
class ComposeProject:
    """docker-compose.yml brought up under `name`, with the environment file `env_file`."""

    engine: Engine
    name: str
    env_file: Path
    gateway_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def environment(self) -> dict[str, str]:
        return {name: value for name, value in self.engine.env.items() if _ENGINE_VARIABLES.match(name)}

    def compose(self, *arguments: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a compose command on this project; its output is captured and shown if it fails."""
        result = subprocess.run(
            [*self.engine.compose, "-p", self.name, "--env-file", str(self.env_file), "-f", str(COMPOSE_FILE),
             *arguments],
            cwd=REPO_ROOT, env=self.environment, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise RuntimeError(f"compose {' '.join(arguments)} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
        return result

    def up(self) -> None:
        self.compose("up", "-d", "--no-build", timeout=900)

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", "--timeout", "10", timeout=600, check=False)

    def container(self, service: str) -> str:
        """The id of the (one) container of a compose service."""
        return self.compose("ps", "-q", service).stdout.split()[0]

    def inspect(self, service: str) -> dict:
        return json.loads(self.engine.run("inspect", self.container(service)).stdout)[0]

    def address(self, service: str) -> str:
        """The container's address on the project's internal network."""
        networks = self.inspect(service)["NetworkSettings"]["Networks"]
        return next(network["IPAddress"] for name, network in networks.items() if name.endswith("_internal"))

    def crash(self, service: str) -> None:
        """Kill a service's main process as a crash would (SIGKILL, from outside); its restart policy brings it back.

        `docker kill` or `podman kill` may count as stopping the container by hand, after which
        `restart: unless-stopped` leaves it stopped; a process that dies does not.
        """
        pid = int(self.inspect(service)["State"]["Pid"])
        try:
            os.kill(pid, signal.SIGKILL)
        except (PermissionError, ProcessLookupError):  # an engine in a VM, or another user's
            self.engine.run("kill", "--signal", "KILL", self.container(service))

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service, check=False).stdout

    def ready_urls(self) -> list[str]:
        return [f"{self.url}/health"] + [f"{self.url}/{service.name}/ready/" for service in SERVICES]

    def wait_until_ready(self, *, timeout: float) -> float:
        """Wait until the gateway and every service's readiness answer 200 through it; return the seconds taken."""
        started = time.monotonic()
        pending = self.ready_urls()
        while pending:
            if _answers_200(pending[0]):
                pending.pop(0)
                continue
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not ready within {timeout:.0f} s: {pending[0]}")
            time.sleep(0.5)
        return time.monotonic() - started


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own http URL
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def project_keys(work_dir: Path) -> Path:
    """A signing key pair for the project; return the private key's path (compose's JWT_PRIVATE_KEY_PATH)."""
    private_path, _ = write_keypair(work_dir / "keys")
    return private_path


def project_name(prefix: str = "shoptest") -> str:
    """A compose project name of its own, so that no other project's containers or volumes are touched."""
    return re.sub(r"[^a-z0-9]", "", f"{prefix}{secrets.token_hex(3)}")
