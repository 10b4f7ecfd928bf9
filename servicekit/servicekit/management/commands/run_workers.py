"""Run a service's background work in one process: its relay, its consumer and its periodic jobs, a thread each.

    manage.py run_workers relay_events consume_events reconcile_orders:30

Each part does what `manage.py <part>` does alone: `relay_events` publishes the outbox,
`consume_events` handles the service's queue, and a periodic job (a `PeriodicCommand`, such as
`reconcile_orders` or `expire_reservations`) runs every `:<seconds>`. One process holds the
service's code once instead of once per part; each part keeps a database connection of its own
(Django's connections belong to a thread).

SIGTERM or SIGINT stops every part and the process exits 0 once they are done (a periodic job
finishes the round it is in). A part never ends of an error it can wait out: the relay and the
consumer back off while the broker or the database is away, and a failing round of a periodic
job is reported and tried again. If a part ends anyway, the others are stopped and the process
exits 1, so that whatever runs it (the native stack's supervisor, compose's `restart:`) starts
the whole process again, after its own growing pause: one restart policy for every process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connections
from django.utils.module_loading import import_string

from servicekit.events import Consumer, Relay, run_until_signalled
from servicekit.jobs import PeriodicCommand

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0  # how long the parts get to finish once stopped (the supervisor waits 15 s)


@dataclass(frozen=True)
class Part:
    """One part of the process: its name (as given) and its loop, which returns once `stop` is set."""

    name: str
    run: Callable[[threading.Event], None]


def relay_part(name: str) -> Part:
    return Part(name, Relay().run)


def consumer_part(name: str) -> Part:
    if not settings.EVENT_HANDLERS:
        raise CommandError("This service consumes no events (EVENT_HANDLERS is empty).")
    return Part(name, Consumer(import_string(settings.EVENT_HANDLERS)).run)


def periodic_part(spec: str, *, stdout: OutputWrapper | None = None, stderr: OutputWrapper | None = None) -> Part:
    """`<command>:<seconds>`: a PeriodicCommand of this service, run every that many seconds.

    Its reports go to `stdout` and `stderr` (run_workers' own), else to the process's.
    """
    command_name, _, seconds = spec.partition(":")
    try:
        every = float(seconds)
    except ValueError:
        every = 0.0
    if every <= 0:
        raise CommandError(f"{spec!r}: a periodic job needs its interval, as <command>:<seconds>")
    app = get_commands().get(command_name)
    if app is None:
        raise CommandError(f"{spec!r}: no command {command_name!r} in this service")
    command = load_command_class(app, command_name) if isinstance(app, str) else app
    if not isinstance(command, PeriodicCommand):
        raise CommandError(f"{spec!r}: {command_name} is not a periodic job")
    command.stdout = stdout or command.stdout
    command.stderr = stderr or command.stderr

    def run(stop: threading.Event) -> None:
        command.run_every(every, stop)

    return Part(spec, run)


BUILDERS: dict[str, Callable[[str], Part]] = {"relay_events": relay_part, "consume_events": consumer_part}


def part(spec: str, *, stdout: OutputWrapper | None = None, stderr: OutputWrapper | None = None) -> Part:
    """The part `spec` names: relay_events, consume_events, or `<periodic command>:<seconds>`."""
    builder = BUILDERS.get(spec)
    return builder(spec) if builder else periodic_part(spec, stdout=stdout, stderr=stderr)


def run_together(parts: Sequence[Part], stop: threading.Event, *, grace: float = STOP_GRACE_SECONDS) -> list[str]:
    """Run every part in a thread of its own until `stop` is set, or until one of them ends by itself.

    Returns the names of the parts that ended by themselves (none after a plain stop). Each thread
    closes its own database connection as it ends.
    """
    ended: list[str] = []

    def main(current: Part) -> None:
        try:
            current.run(stop)
        except BaseException:
            logger.exception("background part failed", extra={"part": current.name})
        finally:
            connections.close_all()
            if not stop.is_set():
                ended.append(current.name)
                stop.set()  # the others stop too: the whole process is started again

    threads = [threading.Thread(target=main, args=(current,), name=current.name, daemon=True) for current in parts]
    for thread in threads:
        thread.start()
    while not stop.wait(1.0):  # the main thread stays free to take SIGTERM
        pass
    for thread in threads:
        thread.join(timeout=grace)
    still = [thread.name for thread in threads if thread.is_alive()]
    if still:
        logger.warning("background parts still running at exit", extra={"parts": still})
    return ended


class Command(BaseCommand):
    help = (
        "Run this service's relay, consumer and periodic jobs (<command>:<seconds>) together in one process, "
        "a thread each, until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "parts",
            nargs="+",
            metavar="part",
            help="relay_events, consume_events, or a periodic job and its interval (reconcile_orders:30).",
        )

    def handle(self, *args: Any, parts: list[str], **options: Any) -> None:
        if len(set(parts)) != len(parts):
            raise CommandError("a part is named twice")
        built = [part(spec, stdout=self.stdout, stderr=self.stderr) for spec in parts]  # all checked before any starts
        ended: list[str] = []

        def target(stop: threading.Event) -> None:
            ended.extend(run_together(built, stop))

        self.stdout.write(f"running {', '.join(parts)}")
        run_until_signalled(target)
        if ended:
            raise CommandError(f"{', '.join(ended)} ended; stopping so that the whole process is started again")
