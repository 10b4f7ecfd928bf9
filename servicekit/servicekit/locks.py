"""Row locks taken one way everywhere: `SELECT ... FOR UPDATE`, several rows always in one order.

Two transactions that lock the same rows in the same order wait for each other instead of
deadlocking. Each service names its locks in its own `locks.py` (`accounts_for_movement`,
`order_for_update`, ...) on top of these, so every lock site says what it locks and in what order.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from servicekit.queries import found

M = TypeVar("M", bound=models.Model)


def lock_one(queryset: models.QuerySet[M]) -> M | None:
    """Lock the row the queryset selects (at most one), waiting for a holder; None when there is none."""
    return queryset.select_for_update().first()


def lock_found(queryset: models.QuerySet[M], message: str | None = None) -> M:
    """Lock the row the queryset selects (at most one), waiting for a holder; `NotFound` when there is none."""
    return found(queryset.select_for_update(), message)


def lock_all(queryset: models.QuerySet[M], *, order_by: tuple[str, ...] = ("pk",)) -> list[M]:
    """Lock every row the queryset selects, in `order_by` order (the primary key unless said), and return them."""
    return list(queryset.select_for_update().order_by(*order_by))


def lock_free(
    queryset: models.QuerySet[M], *, order_by: tuple[str, ...] = ("pk",), limit: int | None = None
) -> list[M]:
    """Lock the first `limit` rows (all when None) that no other transaction holds, skipping held ones:
    for workers sharing a queue (`FOR UPDATE SKIP LOCKED`)."""
    return list(queryset.select_for_update(skip_locked=True).order_by(*order_by)[:limit])
