"""Where a native stack's processes listen: each service's replicas, their internal addresses, PgBouncer.

From a first port `base` (the first service's), in this order, so that a stack of one replica keeps
the ports it always had (`base` .. `base + 5`):

- the first replica of every service, then the second replica of every service, and so on;
- with several replicas, nginx's internal listener of every service (what the others call);
- PgBouncer, when the stack runs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from stack.services import SERVICES


def replicas_from_environment() -> int:
    """`REPLICAS` (default 1): how many gunicorn instances and background processes each service runs."""
    value = os.environ.get("REPLICAS", "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"REPLICAS must be a whole number of at least 1, not {value!r}")
    return int(value)


def pgbouncer_wanted(replicas: int, setting: str | None = None) -> bool:
    """Whether the stack runs PgBouncer: `PGBOUNCER` 1 or 0 when set, else with more than one replica."""
    value = (os.environ.get("PGBOUNCER", "") if setting is None else setting).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    return replicas > 1


def block_size(replicas: int, *, pgbouncer: bool) -> int:
    """How many consecutive ports a stack's services take from its first (the gateway's not counted)."""
    return len(SERVICES) * replicas + (len(SERVICES) if replicas > 1 else 0) + (1 if pgbouncer else 0)


@dataclass(frozen=True)
class Ports:
    """A stack's ports: every replica's, the address each service is called at, PgBouncer's."""

    replicas: dict[str, tuple[int, ...]]  # service -> its replicas' ports, the first replica first
    internal: dict[str, int]  # service -> the port the other services call it at
    pgbouncer: int | None

    @property
    def first(self) -> dict[str, int]:
        """Every service's first replica."""
        return {name: ports[0] for name, ports in self.replicas.items()}


def layout(base: int, *, replicas: int, pgbouncer: bool) -> Ports:
    """The ports of a stack whose first service listens on `base` (see the module's docstring)."""
    count = len(SERVICES)
    ports = {
        service.name: tuple(base + replica * count + index for replica in range(replicas))
        for index, service in enumerate(SERVICES)
    }
    after = base + replicas * count
    if replicas > 1:
        internal = {service.name: after + index for index, service in enumerate(SERVICES)}
        after += count
    else:
        internal = {name: replica_ports[0] for name, replica_ports in ports.items()}
    return Ports(ports, internal, after if pgbouncer else None)
