"""The checkout saga: place an order (stock reserved), pay it (money charged once), cancel or refund it.

Every step that calls another service is keyed (the order id for the catalog, the payment id
for payments) and safe to repeat, and what this service knows is committed before and after
each call, with no lock held and no transaction open while the other service answers, so a
crash anywhere leaves a state that a retry or `reconcile_orders` completes by asking the owning
service, never by guessing: never money taken without a paid order, never stock held for an
order that will not be paid.

One module per step: `placing`, `paying`, `cancelling` (and fulfilling), `refunding`,
`reconciling`; `transitions` holds the state machine they all move orders through.
"""

from orders.services.cancelling import order_cancel, order_fulfil
from orders.services.paying import order_pay, payment_settle, stock_commit
from orders.services.placing import order_create
from orders.services.reconciling import (
    order_expire,
    orders_reconcile,
    payment_resume,
    reconcile_each,
    refund_resend,
    stock_commit_retry,
    stock_release_retry,
)
from orders.services.refunding import order_mark_refunded, order_refund, order_refund_give_up
from orders.services.stock import stock_release
from orders.services.transitions import ALLOWED_MOVES, SYSTEM, Actor

__all__ = [
    "ALLOWED_MOVES",
    "SYSTEM",
    "Actor",
    "order_cancel",
    "order_create",
    "order_expire",
    "order_fulfil",
    "order_mark_refunded",
    "order_pay",
    "order_refund",
    "order_refund_give_up",
    "orders_reconcile",
    "payment_resume",
    "payment_settle",
    "reconcile_each",
    "refund_resend",
    "stock_commit",
    "stock_commit_retry",
    "stock_release",
    "stock_release_retry",
]
