"""Bring the shop up natively: keys, databases, migrations, gunicorn per service, the nginx gateway.

`python -m stack run` stays in the foreground; Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import environ

from servicekit import conf
from servicekit.keys import write_keypair
from stack import broker, db, gateway, web
from stack.services import REPO_ROOT, SERVICES, Service

PYTHON = sys.executable
PR_SET_PDEATHSIG = 1
GUNICORN_SETTINGS = ("WORKERS", "THREADS", "WORKER_CLASS", "TIMEOUT", "MAX_REQUESTS")


def load_environment() -> None:
    """Read `.env` (or, without one, the development defaults in `.env.example`) under the real environment."""
    env_file = REPO_ROOT / ".env"
    if not env_file.exists():
        env_file = REPO_ROOT / ".env.example"
    environ.Env.read_env(str(env_file), overwrite=False)
    os.environ.setdefault("APP_ENV", "development")


def ensure_keys() -> None:
    """Create the development key pair unless key files are configured."""
    if "JWT_PRIVATE_KEY_FILE" in os.environ and "JWT_PUBLIC_KEY_FILE" in os.environ:
        return
    private_path, public_path = write_keypair(REPO_ROOT / ".keys")
    os.environ.setdefault("JWT_PRIVATE_KEY_FILE", str(private_path))
    os.environ.setdefault("JWT_PUBLIC_KEY_FILE", str(public_path))


def ensure_development_secret() -> None:
    """Create the random file the services' development secret keys derive from, unless a key is set.

    Each service derives its own Django SECRET_KEY from this file (servicekit.conf), as does any
    `manage.py` run by hand in this checkout; it is made once, here, before the services start side
    by side, and kept (`.keys/`, git-ignored, mode 0600), so sessions survive a restart.
    """
    if os.environ.get("APP_ENV") != "development" or "DJANGO_SECRET_KEY" in os.environ:
        return
    path = conf.development_secret_file()
    if path is not None:
        conf.read_or_create_secret_file(path)


def service_environment(
    service: Service, *, ports: dict[str, int], db_suffix: str, static_root: Path
) -> dict[str, str]:
    """The environment of one service's processes; `<NAME>_GUNICORN_*` overrides `GUNICORN_*`."""
    environment = dict(os.environ)
    auth_url = f"http://127.0.0.1:{ports['auth']}"
    environment.update(
        SERVICE_NAME=service.name,
        DATABASE_URL=db.database_url(service, suffix=db_suffix),
        GUNICORN_BIND=f"127.0.0.1:{ports[service.name]}",
        STATIC_ROOT=str(static_root),
        # Every service's private address (AUTH_INTERNAL_URL, BANK_INTERNAL_URL, ...).
        **{f"{other.env_prefix}_INTERNAL_URL": f"http://127.0.0.1:{ports[other.name]}" for other in SERVICES},
        SERVICE_CLIENT_ID=service.name,
        PYTHONUNBUFFERED="1",
    )
    # Stacks side by side on one broker (a developer's, the tests', the benchmark's) keep apart:
    # each has its own exchange and queues, named with its database suffix.
    environment.setdefault("EVENTS_EXCHANGE", f"shop.events{db_suffix}")
    environment.setdefault("EVENTS_QUEUE", f"{service.name}{db_suffix}")
    for setting in GUNICORN_SETTINGS:
        specific = os.environ.get(f"{service.env_prefix}_GUNICORN_{setting}")
        if specific:
            environment[f"GUNICORN_{setting}"] = specific
    if service.name != "auth":
        # Only the issuer reads the private key; the others follow auth's JWKS, so keys rotate
        # without restarting them.
        environment.pop("JWT_PRIVATE_KEY_FILE", None)
        environment.pop("JWT_PUBLIC_KEY_FILE", None)
        environment.setdefault("JWT_JWKS_URL", f"{auth_url}/auth/.well-known/jwks.json")
    return environment


def register_service_clients(environments: dict[str, dict[str, str]]) -> None:
    """Give every service a fresh service client secret for this run (secrets stay in memory)."""
    auth = SERVICES[0]
    running = [
        (service, subprocess.Popen(
            [PYTHON, "manage.py", "register_service_client", service.name,
             *[argument for scope in service.scopes for argument in ("--scope", scope)]],
            cwd=auth.path, env=environments[auth.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
        for service in SERVICES
    ]  # fmt: skip
    for service, process in running:
        output, _ = process.communicate()
        secret = next(
            (line.split("=", 1)[1] for line in output.splitlines() if line.startswith("client_secret=")), None
        )
        if process.returncode != 0 or secret is None:
            sys.stderr.write(output)
            raise SystemExit(f"registering the service client of {service.directory} failed")
        environments[service.name]["SERVICE_CLIENT_SECRET"] = secret


def run_management(services: Iterable[Service], environments: dict[str, dict[str, str]], *commands: list[str]) -> None:
    """Run the given manage.py commands for every service, the services in parallel."""
    for command in commands:
        running = [
            (
                service,
                subprocess.Popen(
                    [PYTHON, "manage.py", *command],
                    cwd=service.path,
                    env=environments[service.name],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
            for service in services
        ]
        for service, process in running:
            output, _ = process.communicate()
            if process.returncode != 0:
                sys.stderr.write(output)
                raise SystemExit(f"{service.directory}: manage.py {' '.join(command)} failed")


def wait_until_ready(gateway_url: str, *, timeout: float, processes: list[subprocess.Popen[bytes]]) -> None:
    """Poll the gateway and every service's readiness through it until all answer 200."""
    deadline = time.monotonic() + timeout
    urls = [f"{gateway_url}/health"] + [f"{gateway_url}/{service.name}/ready/" for service in SERVICES]
    pending = list(urls)
    while pending:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"a process exited during start-up: {process.args!r}")
        url = pending[0]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
                if response.status == 200:
                    pending.pop(0)
                    continue
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the stack did not become ready in {timeout:.0f}s (waiting for {url})")
        time.sleep(0.2)


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this child if the stack runner dies, even by SIGKILL."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _background_child() -> None:
    """A relay, consumer or reconciler: dies with the runner, and yields the CPU to requests.

    On one machine, work that can wait (publishing events, sending emails, reconciling) runs at a
    lower priority than the web workers, so a burst of requests is not slowed down by it; the
    events catch up as soon as the burst is over.
    """
    _die_with_parent()
    os.nice(BACKGROUND_NICENESS)


BACKGROUND_NICENESS = int(os.environ.get("STACK_BACKGROUND_NICENESS", "10"))


def reconcile_interval(name: str, command: tuple[str, ...]) -> list[str]:
    """A reconciler's command with `--every` from RECONCILE_EVERY_SECONDS, when that is set.

    The reconcilers run every 30 s; a test that checks they finish what a fault left half-way
    asks for shorter rounds, on the very processes the stack runs.
    """
    every = os.environ.get("RECONCILE_EVERY_SECONDS", "").strip()
    if not every or not name.endswith("-reconciler") or "--every" not in command:
        return list(command)
    position = command.index("--every") + 1
    return [*command[:position], every, *command[position + 1 :]]


@dataclass
class Restartable:
    """A background process of the stack that is started again when it exits, after a growing pause."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    exits: int = 0  # in a row: one that had run for a minute starts the count again
    started_at: float = 0.0
    start_at: float = 0.0

    def exited(self) -> float:
        """Count an exit; return the pause before the next start (1, 2, 4 ... 30 s)."""
        now = time.monotonic()
        self.exits = 1 if now - self.started_at > 60 else self.exits + 1
        delay = float(min(30, 2 ** (self.exits - 1)))
        self.start_at = now + delay
        return delay

    def due(self) -> bool:
        return time.monotonic() >= self.start_at


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every started process: SIGTERM, then SIGKILL after a grace period."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(args: argparse.Namespace) -> None:
    """Bring everything up, print where it is, and stay until interrupted."""
    load_environment()
    ensure_keys()
    ensure_development_secret()
    gateway_port = args.gateway_port or int(os.environ.get("GATEWAY_PORT", "8080"))
    run_dir = Path(args.run_dir).resolve()
    static_root = run_dir / "static"
    log_dir = Path(args.log_dir).resolve() if args.log_dir else None
    ports = {
        service.name: (args.base_port + index if args.base_port else service.port)
        for index, service in enumerate(SERVICES)
    }
    environments = {
        service.name: service_environment(service, ports=ports, db_suffix=args.db_suffix, static_root=static_root)
        for service in SERVICES
    }
    nginx = gateway.ensure_command("nginx", package="nginx")
    # The web client the gateway serves at `/`: built first when its output is missing or stale.
    web_root = os.environ.get("GATEWAY_WEB_ROOT") or str(web.ensure_built())

    print("creating databases and roles", flush=True)
    db.ensure_databases(SERVICES, suffix=args.db_suffix, fresh=args.fresh)
    if args.fresh:
        # Events left from an earlier run of this stack would reach a consumer whose data is gone.
        first = environments[SERVICES[0].name]
        broker.reset(
            SERVICES,
            broker_url=first.get("BROKER_URL", broker.DEFAULT_URL),
            exchange=first["EVENTS_EXCHANGE"],
            suffix=args.db_suffix,
            retry_delays=first.get("EVENTS_RETRY_DELAYS", broker.DEFAULT_RETRY_DELAYS),
        )
    print("migrating and collecting static files", flush=True)
    run_management(SERVICES, environments, ["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"])
    for service in SERVICES:
        run_management([service], environments, *(list(command) for command in service.setup))
    register_service_clients(environments)

    processes: list[subprocess.Popen[bytes]] = []
    log_files: dict[str, IO[bytes]] = {}
    # The relays, consumers and reconcilers: what to run again when one exits (as compose's
    # `restart: unless-stopped` does), with its name, how often it has exited, when it may start.
    restartable: dict[int, Restartable] = {}

    def output_for(name: str) -> IO[bytes] | None:
        """The log file of `name`, opened once: a process started again appends to the same handle."""
        if log_dir is None:
            return None
        if name not in log_files:
            log_dir.mkdir(parents=True, exist_ok=True)
            log_files[name] = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed at shutdown
        return log_files[name]

    def start(
        name: str,
        command: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        background: bool = False,
        again: Restartable | None = None,
    ) -> None:
        log = output_for(name)
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            start_new_session=True,
            preexec_fn=_background_child if background else _die_with_parent,
        )
        processes.append(process)
        if background:
            restartable[process.pid] = again or Restartable(name, command, cwd, env)
            restartable[process.pid].started_at = time.monotonic()

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        for service in SERVICES:
            start(
                service.name,
                [PYTHON, "-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf"],
                cwd=service.path,
                env=environments[service.name],
            )
        for service in SERVICES:
            for name, command in service.workers:
                start(
                    name,
                    [PYTHON, "manage.py", *reconcile_interval(name, command)],
                    cwd=service.path,
                    env=environments[service.name],
                    background=True,
                )
        values = gateway.native_values(
            listen=f"127.0.0.1:{gateway_port}",
            run_dir=run_dir,
            static_root=static_root,
            web_root=web_root,
            upstreams={service.name: f"127.0.0.1:{ports[service.name]}" for service in SERVICES},
            environment=os.environ,
        )
        main_conf = gateway.write_config(run_dir / "nginx", values)
        start("nginx", [nginx, "-p", str(run_dir / "nginx"), "-c", str(main_conf)], cwd=run_dir, env=dict(os.environ))
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        # A relay, consumer or reconciler that exits meanwhile is started again by the loop below.
        foreground = [process for process in processes if process.pid not in restartable]
        wait_until_ready(gateway_url, timeout=args.ready_timeout, processes=foreground)
        print(
            f"\nThe shop is up at {gateway_url}\n"
            f"  demo admin: {os.environ.get('DEMO_ADMIN_EMAIL')} / {os.environ.get('DEMO_ADMIN_PASSWORD')}\n"
            f"  API docs: {gateway_url}/docs/\n"
            f"  try: curl {gateway_url}/auth/health/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        print("STACK READY", flush=True)
        waiting: list[Restartable] = []
        while True:
            time.sleep(0.5)
            for process in [process for process in processes if process.poll() is not None]:
                worker = restartable.pop(process.pid, None)
                if worker is None:  # a gunicorn master or nginx: the stack cannot go on without it
                    raise SystemExit(f"stopping: {process.args!r} exited with {process.returncode}")
                processes.remove(process)
                delay = worker.exited()
                print(f"{worker.name} exited with {process.returncode}; starting it again in {delay:.0f} s", flush=True)
                waiting.append(worker)
            for worker in [worker for worker in waiting if worker.due()]:
                waiting.remove(worker)
                start(worker.name, worker.command, cwd=worker.cwd, env=worker.env, background=True, again=worker)
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        stop(processes)
        for handle in log_files.values():
            handle.close()


def build_images() -> None:
    """Build the service images with the engine found here (podman's own store where there is no Docker)."""
    from stack import images
    from stack.engine import container_engine

    with container_engine(REPO_ROOT / "var" / "engine") as engine:
        for image, how in images.ensure_public_images(engine).items():
            print(f"images: {image}: {how}", flush=True)
        images.build_service_images(engine)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keys", help="create the development RSA key pair in .keys/ if missing")
    databases = commands.add_parser("databases", help="create each service's role and database")
    databases.add_argument("--suffix", default="", help="suffix for database names (e.g. _e2e)")
    databases.add_argument("--fresh", action="store_true", help="drop the databases first")
    run_parser = commands.add_parser("run", help="run the whole stack in the foreground")
    run_parser.add_argument("--gateway-port", type=int, default=0, help="default: $GATEWAY_PORT or 8080")
    run_parser.add_argument("--base-port", type=int, default=0, help="first service port (default 8001..8006)")
    run_parser.add_argument("--db-suffix", default="", help="suffix for database names")
    run_parser.add_argument("--fresh", action="store_true", help="drop and recreate the databases")
    run_parser.add_argument("--run-dir", default=str(REPO_ROOT / "var" / "run"), help="nginx config, logs, static")
    run_parser.add_argument("--log-dir", default="", help="write each process's output here instead of the terminal")
    run_parser.add_argument("--ready-timeout", type=float, default=90.0)
    commands.add_parser(
        "images",
        help="build the images docker-compose.yml runs (public ones pulled, or stand-ins where they cannot be)",
    )
    args = parser.parse_args(argv)

    if args.command == "keys":
        private_path, public_path = write_keypair(REPO_ROOT / ".keys")
        print(f"keys: {private_path} (private, keep it secret), {public_path}")
    elif args.command == "databases":
        load_environment()
        db.ensure_databases(SERVICES, suffix=args.suffix, fresh=args.fresh)
        print("databases ready: " + ", ".join(service.name + args.suffix for service in SERVICES))
    elif args.command == "run":
        run(args)
    elif args.command == "images":
        build_images()
