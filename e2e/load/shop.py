"""The shop under load: the stack, its load and its watchers, and what the run found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from e2e.load.invariants import Check
from e2e.load.recording import Recorder
from e2e.load.traffic import Books, Catalog, Load
from servicekit.testing import TcpProxy
from stack.launch import LaunchedStack
from stack.processes import StackProcesses
from stack.readiness import ReadinessWatch


@dataclass
class Shop:
    stack: LaunchedStack
    proxy: TcpProxy | None  # the broker, as the stack reaches it (when the test can cut it)
    watch: ReadinessWatch
    recorder: Recorder
    books: Books
    catalog: Catalog
    load: Load
    processes: StackProcesses
    consumers: dict[str, set[str]]  # consumer -> the event types it handles
    figures: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
