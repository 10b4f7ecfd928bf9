"""Replicas and PgBouncer in the native stack: their ports, the gateway's upstreams, PgBouncer's configuration.

The stack with two replicas under load and faults is e2e/test_load_and_faults.py's last test.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from stack import db, gateway, pgbouncer
from stack.launch import free_port_block
from stack.ports import block_size, layout, pgbouncer_wanted
from stack.services import SERVICES


def test_one_replica_keeps_the_ports_a_stack_always_had() -> None:
    ports = layout(8001, replicas=1, pgbouncer=False)
    assert ports.first == {service.name: service.port for service in SERVICES}
    assert ports.internal == ports.first and ports.pgbouncer is None
    assert block_size(1, pgbouncer=False) == len(SERVICES)


@pytest.mark.parametrize("replicas", [2, 3])
def test_replicas_internal_listeners_and_pgbouncer_each_get_a_port_of_the_block(replicas: int) -> None:
    ports = layout(20000, replicas=replicas, pgbouncer=True)
    every = [port for replica_ports in ports.replicas.values() for port in replica_ports]
    assert ports.pgbouncer is not None
    every += [*ports.internal.values(), ports.pgbouncer]
    assert all(len(replica_ports) == replicas for replica_ports in ports.replicas.values())
    assert sorted(every) == list(range(20000, 20000 + block_size(replicas, pgbouncer=True)))
    assert ports.first == layout(20000, replicas=1, pgbouncer=False).first


def test_pgbouncer_runs_with_replicas_unless_told() -> None:
    assert pgbouncer_wanted(2, "") and not pgbouncer_wanted(1, "")
    assert pgbouncer_wanted(1, "1") and not pgbouncer_wanted(2, "0")
    assert pgbouncer_wanted(2, "auto")


def _nginx_check(tmp_path: Path, **config: object) -> tuple[str, subprocess.CompletedProcess[str]]:
    values = gateway.native_values(
        listen="127.0.0.1:18080",
        run_dir=tmp_path,
        static_root=tmp_path / "static",
        web_root=tmp_path / "web",
        upstreams={service.name: ["127.0.0.1:1", "127.0.0.1:2"] for service in SERVICES},
        environment={},
    )
    main = gateway.write_config(tmp_path / "nginx", values, **config)  # type: ignore[arg-type]
    nginx = gateway.ensure_command("nginx", package="nginx")
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path / "nginx"), "-c", str(main)], capture_output=True, text=True
    )
    return (tmp_path / "nginx" / "gateway.conf").read_text() + main.read_text(), checked


def test_the_template_renders_every_replica_as_a_server_of_its_upstream_and_nginx_takes_it(tmp_path: Path) -> None:
    internal = {f"127.0.0.1:{3000 + index}": service.directory for index, service in enumerate(SERVICES)}
    rendered, checked = _nginx_check(tmp_path, internal=internal)
    assert checked.returncode == 0, checked.stderr
    for service in SERVICES:
        upstream = re.search(rf"upstream {service.directory}\s+{{([^}}]*)}}", rendered)
        assert upstream is not None and upstream.group(1).count("server 127.0.0.1:") == 2, service.name
        assert re.search(rf"proxy_pass http://{service.directory};", rendered)
    assert rendered.count("listen 127.0.0.1:30") == len(SERVICES)  # the internal listeners
    assert gateway.upstream_servers("bank:8000") == "bank:8000"  # compose's one server, as before


def test_pgbouncer_pools_transactions_and_lets_a_service_in_with_its_own_password(tmp_path: Path) -> None:
    """A PgBouncer of the stack's configuration in front of the real PostgreSQL: the service's role gets in
    with its password, a transaction's statements share one server session, and the next may not."""
    bank = next(service for service in SERVICES if service.name == "bank")
    suffix = "_replicas_config"
    db.ensure_databases((bank,), suffix=suffix)
    port = free_port_block(1)
    config = pgbouncer.write_config(
        tmp_path / "pgbouncer", port=port, server=db.server_address(), databases={f"bank{suffix}": bank},
        passwords={"bank": db.role_password(bank)},
    )  # fmt: skip
    assert "pool_mode = transaction" in config.read_text()
    process = subprocess.Popen(
        [gateway.ensure_command("pgbouncer", package="pgbouncer"), str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        pgbouncer.wait_until_listening(port, timeout=15)
        url = db.database_url(bank, suffix=suffix, address=("127.0.0.1", str(port)))
        with psycopg.connect(url, autocommit=True, prepare_threshold=None) as connection:
            with connection.transaction():
                first = connection.execute("SELECT pg_backend_pid()").fetchone()
                again = connection.execute("SELECT pg_backend_pid()").fetchone()
            assert first == again  # one transaction, one server session
            assert connection.execute("SELECT current_user").fetchone() == ("bank",)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url.replace(f":{db.role_password(bank)}@", ":wrong@"), connect_timeout=5).close()
    finally:
        process.terminate()
        process.wait(timeout=10)
