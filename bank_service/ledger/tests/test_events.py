"""The bank's events survive a broker outage: transfers go on, events wait in the outbox, all arrive later."""

import uuid
from collections.abc import Callable, Iterator

import kombu
import pytest
from django.test import override_settings

from ledger import services
from ledger.models import Account
from ledger.tests.conftest import ALICE, BOB
from servicekit.events import Relay, Topology
from servicekit.models import OutboxEvent
from servicekit.testing import TcpProxy, poll_until

BROKER = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue bound to a fresh exchange for every bank event type, deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    topology = Topology(
        queue=f"bank-test.{tag}",
        event_types=("deposit.completed", "transfer.completed", "withdrawal.completed"),
        retry_delays=(),
    )
    with override_settings(EVENTS_EXCHANGE=f"bank-test.events.{tag}"):
        with kombu.Connection(BROKER) as conn:
            topology.declare(conn.default_channel)
        yield topology.queue
        with kombu.Connection(BROKER) as conn:
            for name in (topology.queue, topology.dead_letter_queue):
                conn.default_channel.queue_delete(name)
            conn.default_channel.exchange_delete(f"bank-test.events.{tag}")


@pytest.mark.django_db(transaction=True)
def test_transfers_go_on_while_the_broker_is_away_and_every_event_arrives_after(
    funded: Callable[..., Account], queue: str
) -> None:
    proxy = TcpProxy("127.0.0.1", 5672).start()
    proxy.stop()
    with override_settings(EVENTS_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}//"):
        source, target = funded(ALICE, 1_000), funded(BOB, 0)
        for _ in range(5):
            services.transfer_create(source_id=source.id, target_id=target.id, amount=10, actor=services.Actor(ALICE))
        relay = Relay()
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the transport raises for a refused connection
            relay.run_once()
        pending = OutboxEvent.objects.filter(published_at__isnull=True)
        assert pending.count() == 6  # a deposit and five transfers, all waiting
        proxy.start()
        try:
            poll_until(
                lambda: relay.run_once() > 0 and not pending.exists(), timeout=10, message="every event published"
            )
        finally:
            relay.close()
            proxy.stop()
    received: list[str] = []
    with kombu.Connection(BROKER) as conn:
        simple = conn.SimpleQueue(kombu.Queue(queue, durable=True, no_declare=True))
        try:
            while len(received) < 6:
                message = simple.get(timeout=5)
                received.append(message.payload["type"])
                message.ack()
        finally:
            simple.close()
    assert sorted(received) == ["deposit.completed"] + ["transfer.completed"] * 5
