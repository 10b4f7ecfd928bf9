"""What `make bench` measures and how long, from the environment (see bench/run.py)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
MODES = os.environ.get("BENCH_MODES", "gthread").split()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", str(REPO_ROOT / "bench" / "results")))
SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "_bench")  # the stack's databases, exchange and queues
ACCOUNT_COUNT = int(os.environ.get("BENCH_ACCOUNTS", "40"))
PRODUCT_COUNT = int(os.environ.get("BENCH_PRODUCTS", "60"))
CHECKOUT_USERS = int(os.environ.get("BENCH_CHECKOUT_USERS", "8"))
PGBENCH_CLIENTS = int(os.environ.get("BENCH_PGBENCH_CLIENTS", "8"))
SIGN_IN_USERS = max(64, CONNECTIONS * 2)
# The revision measured beside the working tree in the same run ("none": the working tree alone);
# the default is the last revision before the write paths' performance work.
BASELINE = os.environ.get("BENCH_BASELINE", "8130c16")
# Transfers sent one at a time, each after the last one's notification arrived, for the idle event latency.
LATENCY_TRANSFERS = int(os.environ.get("BENCH_LATENCY_TRANSFERS", str(20 * SECONDS)))

ADMIN = {"email": "bench-admin@example.com", "password": "bench-admin-password-1"}
STACK_ENVIRONMENT = {
    "GATEWAY_AUTH_RATE": "100000r/s",
    "GATEWAY_AUTH_BURST": "100000",
    "JWT_ACCESS_TOKEN_MINUTES": "60",
    "DEMO_ADMIN_EMAIL": ADMIN["email"],
    "DEMO_ADMIN_PASSWORD": ADMIN["password"],
    # Notification emails are rendered but not sent anywhere.
    "EMAIL_URL": "dummymail://",
    # INFO: each call from one service to another is logged with its time (the hop split).
    "LOG_LEVEL": "INFO",
}
