"""A container engine to build the images and run docker-compose.yml: Docker where it runs, else podman.

With a Docker engine, `docker build` and `docker compose` (or `docker-compose`) are used as they are.
Without one, podman serves the Docker API on a private socket and Debian's `docker-compose` drives
it. podman is then set up for the machine it finds, through a private `containers.conf` (the
system's is left alone):

- runc as the OCI runtime: crun refuses some kernels' cgroup layouts (v1 mounted beside v2);
- default ulimits no higher than this process's hard limits, which podman's defaults may exceed
  where root cannot raise them;
- without systemd, nothing runs the images' HEALTHCHECKs (podman schedules them with systemd
  timers), so compose's `service_healthy` would wait forever: a thread here runs them.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stack.gateway import ensure_command

HEALTHCHECK_EVERY = 2.0  # seconds between health check rounds where podman cannot schedule them


@dataclass(frozen=True)
class Engine:
    """A container engine: its command, its compose command and the environment both need."""

    name: str  # "docker" or "podman"
    command: str
    compose: tuple[str, ...]
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **self.environment}

    def run(
        self, *arguments: str, timeout: float = 120, check: bool = True, capture: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the engine's own command (`docker ...` or `podman ...`)."""
        return subprocess.run(
            [self.command, *arguments], env=self.env, capture_output=capture, text=True, timeout=timeout, check=check
        )

    def image_exists(self, reference: str) -> bool:
        return self.run("image", "inspect", reference, check=False).returncode == 0

    def image_label(self, reference: str, label: str) -> str | None:
        """The value of one label of a local image, or None."""
        result = self.run(
            "image", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}', reference, check=False
        )
        value = result.stdout.strip()
        return value if result.returncode == 0 and value not in ("", "<no value>") else None

    def build_options(self) -> list[str]:
        """Options every image build needs with this engine."""
        # podman's default image format (OCI) has no HEALTHCHECK: compose could never see a container healthy.
        return ["--format", "docker"] if self.name == "podman" else []

    def hub_name(self, reference: str) -> str:
        """The local name of a public image as compose names it (`postgres:16-bookworm`)."""
        first = reference.split("/")[0]
        if self.name != "podman" or ("/" in reference and ("." in first or ":" in first or first == "localhost")):
            return reference
        # Docker's API, which compose speaks, means Docker Hub by a short name; podman stores it under that name.
        return f"docker.io/{reference if '/' in reference else 'library/' + reference}"


def _succeeds(command: Sequence[str], *, timeout: float = 30, env: dict[str, str] | None = None) -> bool:
    try:
        return subprocess.run(list(command), capture_output=True, timeout=timeout, env=env).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def docker_engine() -> Engine | None:
    """The Docker engine, if one answers, with `docker compose` (v2) or else `docker-compose`."""
    if not shutil.which("docker") or not _succeeds(["docker", "info"]):
        return None
    if _succeeds(["docker", "compose", "version"]):
        compose: tuple[str, ...] = ("docker", "compose")
    else:
        compose = (ensure_command("docker-compose", package="docker-compose"),)
    # BuildKit: the Dockerfile's build secret (a CA bundle for pip) needs it.
    return Engine("docker", "docker", compose, {"DOCKER_BUILDKIT": "1"})


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _containers_conf(path: Path) -> Path:
    """podman's settings for this machine: runc, and ulimits that a container may really be given."""
    _, hard_files = resource.getrlimit(resource.RLIMIT_NOFILE)
    _, hard_processes = resource.getrlimit(resource.RLIMIT_NPROC)
    # podman runs conmon with at most kernel.pid_max processes; a container cannot be given more.
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    processes = pid_max if hard_processes == resource.RLIM_INFINITY else min(hard_processes, pid_max)
    path.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={hard_files}:{hard_files}", "nproc={processes}:{processes}"]\n\n'
        '[engine]\nruntime = "runc"\n'
    )
    return path


def _run_healthchecks(engine: Engine, stop: threading.Event) -> None:
    """Run the health check of every running container that has one, every HEALTHCHECK_EVERY seconds."""
    while not stop.wait(HEALTHCHECK_EVERY):
        listed = engine.run("ps", "--format", "{{.ID}} {{.Status}}", check=False)
        for line in listed.stdout.splitlines():
            container, _, status = line.partition(" ")
            if "(" in status:  # "Up 3 seconds (starting)", "(healthy)", "(unhealthy)": it has a health check
                engine.run("healthcheck", "run", container, check=False, timeout=60)


@contextlib.contextmanager
def podman_engine(work_dir: Path) -> Iterator[Engine]:
    """podman serving the Docker API on a socket in `work_dir`, with health checks run where systemd is absent."""
    podman = ensure_command("podman", package="podman")
    ensure_command("runc", package="runc")
    compose = ensure_command("docker-compose", package="docker-compose")
    work_dir.mkdir(parents=True, exist_ok=True)
    conf = _containers_conf(work_dir / "containers.conf")
    api_socket = work_dir / "podman.sock"
    engine = Engine("podman", podman, (compose,), {"CONTAINERS_CONF": str(conf), "DOCKER_HOST": f"unix://{api_socket}"})
    service = subprocess.Popen(
        [podman, "system", "service", "--time=0", f"unix://{api_socket}"],
        env=engine.env,
        stdout=subprocess.DEVNULL,
        stderr=open(work_dir / "podman-service.log", "ab"),  # noqa: SIM115 - the child keeps it
        start_new_session=True,
    )
    stop = threading.Event()
    checker = threading.Thread(target=_run_healthchecks, args=(engine, stop), daemon=True)
    try:
        deadline = time.monotonic() + 30
        while not _listening(api_socket):
            if service.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"podman's API service did not start; see {work_dir / 'podman-service.log'}")
            time.sleep(0.2)
        if not Path("/run/systemd/system").exists():
            checker.start()
        yield engine
    finally:
        stop.set()
        if checker.is_alive():
            checker.join(timeout=70)
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()


@contextlib.contextmanager
def container_engine(work_dir: Path) -> Iterator[Engine]:
    """The Docker engine if one runs here, else podman set up in `work_dir` (stopped on exit)."""
    docker = docker_engine()
    if docker is not None:
        yield docker
        return
    with podman_engine(work_dir) as podman:
        yield podman
