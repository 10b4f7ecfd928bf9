"""The six services: one registry that the native stack, the gateway and the tests all read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Service:
    """A Django project of the shop: its URL prefix is also its database and role name."""

    name: str
    directory: str
    port: int
    scopes: tuple[str, ...] = ()
    # manage.py commands `make run` runs once after migrating (each idempotent).
    setup: tuple[tuple[str, ...], ...] = ()
    # The long-running manage.py process beside the web workers, one per service: name -> command.
    # A service with one background part runs that part's command; one with several runs them
    # together, a thread each, under `run_workers` (servicekit's command).
    workers: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def path(self) -> Path:
        return REPO_ROOT / self.directory

    @property
    def env_prefix(self) -> str:
        return self.name.upper()

    @property
    def upstream_variable(self) -> str:
        return f"{self.env_prefix}_UPSTREAM"

    def runs(self, command: str) -> bool:
        """Whether one of this service's background workers runs `command`, alone or among others."""
        return any(command in worker for _, worker in self.workers)


# `scopes`: what each service may do when it calls another as itself (its service client's scopes).
RELAY = ("relay_events",)

SERVICES = (
    Service("auth", "auth_service", 8001, setup=(("seed_demo",),), workers=(("auth-relay", RELAY),)),
    Service("bank", "bank_service", 8002, setup=(("ensure_system_accounts",),), workers=(("bank-relay", RELAY),)),
    Service(
        "catalog",
        "catalog_service",
        8003,
        setup=(("seed_demo",),),
        workers=(("catalog-worker", ("run_workers", "relay_events", "expire_reservations:30")),),
    ),
    Service(
        "orders",
        "order_service",
        8004,
        scopes=("catalog:reserve", "payments:charge"),
        setup=(("consume_events", "--declare"),),
        workers=(("orders-worker", ("run_workers", "relay_events", "consume_events", "reconcile_orders:30")),),
    ),
    Service(
        "payments",
        "payment_service",
        8005,
        scopes=("bank:transfer",),
        workers=(("payments-worker", ("run_workers", "relay_events", "reconcile_payments:30")),),
    ),
    Service(
        "notifications",
        "notification_service",
        8006,
        # Declaring the queue before any relay starts means no event is published to no one.
        setup=(("consume_events", "--declare"),),
        workers=(("notifications-consumer", ("consume_events",)),),
    ),
)
