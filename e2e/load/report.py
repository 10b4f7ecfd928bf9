"""The figures of a load and faults run in one summary block: per phase, per fault, events, invariants."""

from __future__ import annotations

from collections import Counter

from e2e.load import plan
from e2e.load.recording import Attempt, Fault
from e2e.load.shop import Shop
from stack.events import EventFigures
from stack.readiness import SERVICE_NAMES

_COLUMNS = ("requests", "transfer", "order", "pay", "cancel", "server_errors", "no_answer", "retries", "busy")


def summary(shop: Shop, *, title: str = "Load and faults") -> str:
    """The figures of the run, counted from what the clients sent and what the databases hold."""
    recorder, books = shop.recorder, shop.books
    lines = ["", "=" * 100, f"{title}: summary", "-" * 100]
    timings = [f"{name} in {shop.figures[name]:.1f} s" for name in ("stack up", "shop opened", "drained and reconciled")
               if name in shop.figures]  # fmt: skip
    lines += [
        f"{len(shop.load.customers)} customers ({plan.POOR_CUSTOMERS} poorly funded), {plan.TRANSFERERS} transfer"
        f" clients, {plan.SHOPPERS} shoppers, {plan.WORKERS} gunicorn workers per service (threads: "
        + ", ".join(f"{name} {count}" for name, count in plan.THREADS.items())
        + "); "
        + ", ".join(timings),
        "",
    ]
    lines.append(f"{'phase':<20}{'seconds':>8}{'requests':>10}{'transfers':>10}{'orders':>8}{'pays':>6}"
                 f"{'cancels':>8}{'5xx':>6}{'no answer':>10}{'retries':>9}{'409 busy':>9}")  # fmt: skip
    totals: Counter[str] = Counter()
    for phase, (start, end) in recorder.phases.items():
        row = _phase_row(recorder.of_phase(phase))
        totals.update(row)
        lines.append(f"{phase:<20}{end - start:>8.1f}{_cells(row)}")
    lines.append(f"{'total':<28}{_cells(totals)}")
    statuses = Counter(a.status or a.code for a in recorder.attempts if a.failed)
    lines.append(f"5xx and unanswered by kind: {dict(statuses) or 'none'}; "
                 f"outside any fault's window: {len(recorder.failures_outside_faults())}")  # fmt: skip
    lines += ["", "Outcomes the clients were told:"]
    lines += [f"  {outcome}: {count:,}" for outcome, count in sorted(books.outcomes.items())]
    lines += ["", "Faults (times from the fault):"]
    lines += ["  " + describe(fault, shop) for fault in recorder.faults]
    events: EventFigures | None = shop.figures.get("events")
    if events is not None:
        lines += [
            "",
            f"Events: {events.events:,} written to outboxes, {events.unpublished} unpublished; "
            f"{events.expected:,} deliveries owed to consumers, {events.delivered:,} delivered, "
            f"{len(events.lost)} lost, {events.dead_letters} dead-lettered",
            "  by type: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(events.written.items())),
        ]
    if "PostgreSQL sessions" in shop.figures:
        lines.append(f"PostgreSQL sessions on the stack's databases at the end: {shop.figures['PostgreSQL sessions']}")
    passed = sum(check.ok for check in shop.checks)
    lines += ["", f"Invariants: {len(shop.checks)} checked, {passed} passed"]
    lines += [f"  [{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in shop.checks]
    lines.append("=" * 100)
    return "\n".join(lines)


def _phase_row(attempts: list[Attempt]) -> Counter[str]:
    operations = Counter(a.operation for a in attempts if not a.retry)
    return Counter(
        requests=len(attempts),
        transfer=operations["transfer"],
        order=operations["order"],
        pay=operations["pay"],
        cancel=operations["cancel"],
        server_errors=sum(a.status is not None and a.status >= 500 for a in attempts),
        no_answer=sum(a.status is None for a in attempts),
        retries=sum(a.retry for a in attempts),
        busy=sum(a.in_progress for a in attempts),
    )


def _cells(row: Counter[str]) -> str:
    widths = (10, 10, 8, 6, 8, 6, 10, 9, 9)
    return "".join(f"{row[column]:>{width},}" for column, width in zip(_COLUMNS, widths, strict=True))


def describe(fault: Fault, shop: Shop) -> str:
    """One fault: the failures in its window, when its dependency was back, when every service was ready."""
    failures = [a for a in shop.recorder.attempts if a.failed and fault.covers(a)]
    last = f"{max(a.answered for a in failures) - fault.started:.1f} s" if failures else "-"
    window = shop.watch.not_ready(fault.started, fault.ended or fault.started)
    not_ready = sum(bool(probes) for probes in window.values())
    parts = [f"{fault.name}: {len(failures)} 5xx/unanswered in its window, the last answered at {last}"]
    if fault.ended and fault.recovered:
        parts.append(f"dependency back at {fault.ended - fault.started:.1f} s")
        parts.append(f"every service ready at {fault.recovered - fault.started:.1f} s "
                     f"({fault.recovered - fault.ended:.1f} s after)")  # fmt: skip
    if fault.ended > fault.started:
        parts.append(f"/ready/ not 200 for {not_ready} of {len(SERVICE_NAMES)} services during it")
    parts += [f"{name} {value:.1f} s" if isinstance(value, float) else f"{name} {value}"
              for name, value in fault.notes.items()]  # fmt: skip
    return "; ".join(parts)
