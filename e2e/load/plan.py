"""The shape of the load: its customers and clients, the stack's workers and threads, the phases."""

from __future__ import annotations

import os

# The stack's databases, exchange and queues; E2E_DB_SUFFIX keeps two runs on one machine apart.
SUFFIX = "_load" + os.environ.get("E2E_DB_SUFFIX", "")
WORKERS = 2
ADMIN = {"email": "load-admin@example.com", "password": "load-admin-password-1"}
CUSTOMERS, POOR_CUSTOMERS = 40, 8  # the poor ones' payments and transfers fail now and then
RICH_DEPOSIT, POOR_DEPOSIT, WITHDRAWAL = 1_000_000, 3_000, 1_000
TRANSFERERS, SHOPPERS = 18, 10
THREADS = {"auth": 2, "bank": 4, "catalog": 4, "orders": 4, "payments": 4, "notifications": 2}
BACKGROUND = 10  # relays, consumers, reconcilers and the reservation expirer: one connection each
PHASES = ("baseline", "kill -9 workers", "postgresql restart", "broker outage", "after recovery")
SCARCE_STOCK = 8
GIVE_UP_AFTER = 90.0  # seconds a client keeps retrying one request before calling its outcome unknown
