"""Bring the shop up natively: keys, databases, migrations, gunicorn per service, the nginx gateway.

`python -m stack run` stays in the foreground; Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from servicekit.keys import write_keypair
from stack import broker, db, gateway, pgbouncer, web
from stack.environment import (
    ensure_development_secret,
    ensure_keys,
    load_environment,
    pooled_environment,
    service_environment,
)
from stack.ports import Ports, layout, pgbouncer_wanted, replicas_from_environment
from stack.readiness import SERVICE_NAMES, wait_until_ready
from stack.services import REPO_ROOT, SERVICES, Service
from stack.supervisor import Restartable, Supervisor, reconcile_interval

PYTHON = sys.executable


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


@dataclass(frozen=True)
class Plan:
    """Where one run of the stack puts everything: its ports, folders, databases and environments."""

    gateway_port: int
    run_dir: Path
    log_dir: Path | None
    ports: dict[str, int]  # service -> the port the others call it at
    environments: dict[str, dict[str, str]]  # service -> the environment of its set-up (migrations, ...)
    db_suffix: str
    fresh: bool
    ready_timeout: float
    layout: Ports  # every replica's port, and PgBouncer's when there is one

    @property
    def replicas(self) -> int:
        return len(self.layout.replicas[SERVICES[0].name])

    def runtime_environment(self, service: Service) -> dict[str, str]:
        """The environment of a service's long-running processes: through PgBouncer when the stack runs it."""
        environment = self.environments[service.name]
        if self.layout.pgbouncer is None:
            return environment
        return pooled_environment(environment, service, suffix=self.db_suffix, pooler_port=self.layout.pgbouncer)

    @property
    def static_root(self) -> Path:
        return self.run_dir / "static"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"


def plan_from(args: argparse.Namespace) -> Plan:
    """The run's plan from its command line and the environment (read `.env` first)."""
    run_dir = Path(args.run_dir).resolve()
    replicas = args.replicas or replicas_from_environment()
    ports_layout = layout(
        args.base_port or SERVICES[0].port, replicas=replicas, pgbouncer=pgbouncer_wanted(replicas, args.pgbouncer)
    )
    ports = ports_layout.internal
    environments = {
        service.name: service_environment(
            service, ports=ports, db_suffix=args.db_suffix, static_root=run_dir / "static"
        )
        for service in SERVICES
    }
    return Plan(
        gateway_port=args.gateway_port or int(os.environ.get("GATEWAY_PORT", "8080")),
        run_dir=run_dir,
        log_dir=Path(args.log_dir).resolve() if args.log_dir else None,
        ports=ports,
        environments=environments,
        db_suffix=args.db_suffix,
        fresh=args.fresh,
        ready_timeout=args.ready_timeout,
        layout=ports_layout,
    )


def prepare(plan: Plan) -> None:
    """Databases and roles, the broker's objects when fresh, migrations, static files, setup, service clients."""
    print("creating databases and roles", flush=True)
    db.ensure_databases(SERVICES, suffix=plan.db_suffix, fresh=plan.fresh)
    if plan.fresh:
        # Events left from an earlier run of this stack would reach a consumer whose data is gone.
        first = plan.environments[SERVICES[0].name]
        broker.reset(
            SERVICES,
            broker_url=first.get("BROKER_URL", broker.DEFAULT_URL),
            exchange=first["EVENTS_EXCHANGE"],
            suffix=plan.db_suffix,
            retry_delays=first.get("EVENTS_RETRY_DELAYS", broker.DEFAULT_RETRY_DELAYS),
        )
    print("migrating and collecting static files", flush=True)
    run_management(SERVICES, plan.environments, ["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"])
    for service in SERVICES:
        run_management([service], plan.environments, *(list(command) for command in service.setup))
    register_service_clients(plan.environments)


def replica_name(name: str, replica: int) -> str:
    """A process's name (and its log file's): `bank`, `bank-relay`; `bank-2`, `bank-relay-2` for the second replica."""
    return name if replica == 1 else f"{name}-{replica}"


def start_services(supervisor: Supervisor, plan: Plan) -> None:
    """gunicorn for every replica of every service, then each replica's relays, consumers and reconcilers.

    One replica is a foreground process: if it exits, the stack stops. With several, a replica
    that exits is started again, as a background process is, and the others serve meanwhile.
    """
    gunicorn = [PYTHON, "-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf"]
    for service in SERVICES:
        environment = plan.runtime_environment(service)
        for replica, port in enumerate(plan.layout.replicas[service.name], start=1):
            name, bound = replica_name(service.name, replica), {**environment, "GUNICORN_BIND": f"127.0.0.1:{port}"}
            if plan.replicas == 1:
                supervisor.start(name, gunicorn, cwd=service.path, env=bound)
            else:
                supervisor.start_background(Restartable(name, gunicorn, service.path, bound, niced=False))
    for service in SERVICES:
        environment = plan.runtime_environment(service)
        for replica in range(1, plan.replicas + 1):
            for name, command in service.workers:
                command_line = [PYTHON, "manage.py", *reconcile_interval(name, command)]
                supervisor.start_background(
                    Restartable(replica_name(name, replica), command_line, service.path, environment)
                )


def start_pgbouncer(supervisor: Supervisor, plan: Plan) -> None:
    """PgBouncer (transaction pooling) in front of the stack's databases, on its port of the plan."""
    assert plan.layout.pgbouncer is not None
    command = gateway.ensure_command("pgbouncer", package="pgbouncer")
    server = db.server_address()
    config = pgbouncer.write_config(
        plan.run_dir / "pgbouncer",
        port=plan.layout.pgbouncer,
        server=server,
        databases={service.name + plan.db_suffix: service for service in SERVICES},
        passwords={service.name: db.role_password(service) for service in SERVICES},
        pool_size=int(os.environ.get("PGBOUNCER_POOL_SIZE") or pgbouncer.POOL_SIZE),
    )
    supervisor.start("pgbouncer", [command, str(config)], cwd=plan.run_dir, env=dict(os.environ))
    pgbouncer.wait_until_listening(plan.layout.pgbouncer, timeout=30, still_running=supervisor.check_foreground)


def start_gateway(supervisor: Supervisor, plan: Plan, *, nginx: str, web_root: str) -> None:
    """nginx on the gateway port, its configuration rendered from the shared template."""
    values = gateway.native_values(
        listen=f"127.0.0.1:{plan.gateway_port}",
        run_dir=plan.run_dir,
        static_root=plan.static_root,
        web_root=web_root,
        upstreams={
            service.name: [f"127.0.0.1:{port}" for port in plan.layout.replicas[service.name]] for service in SERVICES
        },
        environment=os.environ,
    )
    internal = (
        {f"127.0.0.1:{plan.ports[service.name]}": service.directory for service in SERVICES}
        if plan.replicas > 1
        else {}
    )
    main_conf = gateway.write_config(plan.run_dir / "nginx", values, internal=internal)
    command = [nginx, "-p", str(plan.run_dir / "nginx"), "-c", str(main_conf)]
    supervisor.start("nginx", command, cwd=plan.run_dir, env=dict(os.environ))


def wait_for_stack(supervisor: Supervisor, plan: Plan) -> None:
    """Until the gateway and every service answer 200 through it; SystemExit if one of them exits or times out."""
    try:
        wait_until_ready(
            plan.gateway_url,
            timeout=plan.ready_timeout,
            names=("gateway", *SERVICE_NAMES),
            interval=0.2,
            still_running=supervisor.check_foreground,
        )
        if plan.replicas > 1:  # through the gateway, any replica would do: each one must be up
            for service in SERVICES:
                for port in plan.layout.replicas[service.name]:
                    wait_until_ready(
                        f"http://127.0.0.1:{port}", timeout=plan.ready_timeout, names=(service.name,), interval=0.2
                    )
    except TimeoutError as error:
        raise SystemExit(f"the stack did not become ready in {plan.ready_timeout:.0f}s ({error})") from None


def announce(plan: Plan) -> None:
    url = plan.gateway_url
    print(
        f"\nThe shop is up at {url}\n"
        f"  demo admin: {os.environ.get('DEMO_ADMIN_EMAIL')} / {os.environ.get('DEMO_ADMIN_PASSWORD')}\n"
        f"  API docs: {url}/docs/\n"
        + (f"  replicas: {plan.replicas} of every service\n" if plan.replicas > 1 else "")
        + (f"  PgBouncer: 127.0.0.1:{plan.layout.pgbouncer}\n" if plan.layout.pgbouncer else "")
        + f"  try: curl {url}/auth/health/\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    print("STACK READY", flush=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> None:
    """Bring everything up, print where it is, and stay until interrupted."""
    load_environment()
    ensure_keys()
    ensure_development_secret()
    plan = plan_from(args)
    nginx = gateway.ensure_command("nginx", package="nginx")
    # The web client the gateway serves at `/`: built first when its output is missing or stale.
    web_root = os.environ.get("GATEWAY_WEB_ROOT") or str(web.ensure_built())
    prepare(plan)
    signal.signal(signal.SIGTERM, _interrupt)
    with Supervisor(plan.log_dir) as supervisor:
        try:
            if plan.layout.pgbouncer is not None:
                start_pgbouncer(supervisor, plan)
            # nginx first: with replicas, the services call each other (and fetch auth's keys) through it.
            start_gateway(supervisor, plan, nginx=nginx, web_root=web_root)
            start_services(supervisor, plan)
            wait_for_stack(supervisor, plan)
            announce(plan)
            supervisor.keep_running()
        except KeyboardInterrupt:
            print("\nstopping", flush=True)


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
    run_parser.add_argument(
        "--replicas", type=int, default=0, help="gunicorn instances and background processes per service ($REPLICAS, 1)"
    )
    run_parser.add_argument(
        "--pgbouncer",
        choices=("auto", "1", "0"),
        default=None,
        help="PgBouncer between the services and PostgreSQL ($PGBOUNCER; auto: with more than one replica)",
    )
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
