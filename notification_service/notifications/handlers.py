"""What each event means to the people it concerns: one inbox entry per affected user."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from notifications import services
from notifications.models import Recipient
from servicekit.events import Handler

Envelope = dict[str, Any]


def _money(amount: int, currency: str) -> str:
    """Minor units for people: 12345 EUR -> "123.45 EUR"."""
    return f"{Decimal(amount) / 100:,.2f} {currency}"


def user_registered(event: Envelope) -> None:
    data = event["data"]
    Recipient.objects.update_or_create(
        user_id=data["user_id"], defaults={"email": data["email"], "full_name": data.get("full_name", "")}
    )
    services.notify(
        event,
        user_id=uuid.UUID(data["user_id"]),
        title="Welcome to the shop",
        body="Your account is ready. Open a bank account, top it up and start shopping.",
        data={"user_id": data["user_id"]},
    )


def user_password_changed(event: Envelope) -> None:
    data = event["data"]
    Recipient.objects.update_or_create(user_id=data["user_id"], defaults={"email": data["email"]})
    services.notify(
        event,
        user_id=uuid.UUID(data["user_id"]),
        title="Your password was changed",
        body="Your password was changed and every other session was signed out. "
        "If this was not you, contact us at once.",
        data={"user_id": data["user_id"]},
    )


def _cash(event: Envelope, *, title: str, verb: str) -> None:
    data = event["data"]
    services.notify(
        event,
        user_id=uuid.UUID(data["user_id"]),
        title=f"{title}: {_money(data['amount'], data['currency'])}",
        body=f"{_money(data['amount'], data['currency'])} was {verb} account {data['account_number']}. "
        f"Balance: {_money(data['balance_after'], data['currency'])}.",
        data={"account_id": data["account_id"], "transaction_id": data["transaction_id"]},
    )


def deposit_completed(event: Envelope) -> None:
    _cash(event, title="Deposit received", verb="paid into")


def withdrawal_completed(event: Envelope) -> None:
    _cash(event, title="Withdrawal made", verb="paid out of")


def transfer_completed(event: Envelope) -> None:
    """One transfer concerns two people: the sender and the receiver each get their own entry."""
    data = event["data"]
    amount = _money(data["amount"], data["currency"])
    source, target = data["source"], data["target"]
    note = f' ("{data["description"]}")' if data.get("description") else ""
    services.notify(
        event,
        user_id=uuid.UUID(source["user_id"]),
        title=f"You sent {amount}",
        body=f"{amount} left account {source['account_number']} for account {target['account_number']}{note}. "
        f"Balance: {_money(source['balance_after'], data['currency'])}.",
        data={"account_id": source["account_id"], "transaction_id": data["transaction_id"], "direction": "sent"},
    )
    if target["user_id"] != source["user_id"] or target["account_id"] != source["account_id"]:
        services.notify(
            event,
            user_id=uuid.UUID(target["user_id"]),
            title=f"You received {amount}",
            body=f"{amount} arrived in account {target['account_number']} from account "
            f"{source['account_number']}{note}. Balance: {_money(target['balance_after'], data['currency'])}.",
            data={
                "account_id": target["account_id"],
                "transaction_id": data["transaction_id"],
                "direction": "received",
            },
        )


def _order(event: Envelope, *, title: str, body: str) -> None:
    data = event["data"]
    total = _money(data["total"], data["currency"])
    reason = f" ({data['reason']})" if data.get("reason") else ""
    services.notify(
        event,
        user_id=uuid.UUID(data["user_id"]),
        title=title.format(total=total),
        body=body.format(total=total, reason=reason, lines=data.get("lines", 0)),
        data={"order_id": data["order_id"]},
    )


def order_created(event: Envelope) -> None:
    _order(
        event,
        title="Order received: {total}",
        body="We hold {lines} item(s) for you, {total} in all. Pay the order to complete it.",
    )


def order_paid(event: Envelope) -> None:
    _order(event, title="Order paid: {total}", body="Your payment of {total} went through; we are preparing the order.")


def order_cancelled(event: Envelope) -> None:
    _order(event, title="Order cancelled", body="Your order of {total} was cancelled{reason}. Nothing was charged.")


def order_refunded(event: Envelope) -> None:
    _order(event, title="Order refunded: {total}", body="{total} went back to your account{reason}.")


def payment_failed(event: Envelope) -> None:
    data = event["data"]
    amount = _money(data["amount"], data["currency"])
    services.notify(
        event,
        user_id=uuid.UUID(data["user_id"]),
        title=f"Payment of {amount} failed",
        body=f"{data.get('failure_reason') or 'The payment failed.'} The order is still open: pay it again, "
        "from this or another account.",
        data={"order_id": data["order_id"], "payment_id": data["payment_id"]},
    )


class Notifier:
    """The handler of every event this service consumes: one event at a time, or a consumer's batch in one go.

    A batch's notifications are written together (`services.notifying`): one read of the
    recipients and one INSERT, and their emails share one connection after the commit.
    """

    def __init__(self, functions: dict[str, Handler]) -> None:
        self.functions = functions

    def __call__(self, event: Envelope) -> None:
        self.handle_many([event])

    def handle_many(self, events: list[Envelope]) -> None:
        with services.notifying():
            for event in events:
                self.functions[event["type"]](event)


FUNCTIONS: dict[str, Handler] = {
    "user.registered": user_registered,
    "user.password_changed": user_password_changed,
    "deposit.completed": deposit_completed,
    "withdrawal.completed": withdrawal_completed,
    "transfer.completed": transfer_completed,
    "order.created": order_created,
    "order.paid": order_paid,
    "order.cancelled": order_cancelled,
    "order.refunded": order_refunded,
    "payment.failed": payment_failed,
}

_notifier = Notifier(FUNCTIONS)
HANDLERS: dict[str, Handler] = dict.fromkeys(FUNCTIONS, _notifier)
