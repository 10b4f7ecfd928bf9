"""Row locks taken one way everywhere: `SELECT ... FOR UPDATE`, several rows always in one order.

Two transactions that lock the same rows in the same order wait for each other instead of
deadlocking. Each service names its locks in its own `locks.py` (`accounts_for_movement`,
`order_for_update`, ...) on top of these, so every lock site says what it locks and in what order.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections, models, router

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


def lock_or_make(model: type[M], **lookup: Any) -> M:
    """The row `lookup` names, locked, and made first (its other fields at their defaults) when missing.

    One statement, `INSERT ... ON CONFLICT (lookup) DO UPDATE ... RETURNING`: the update of an
    existing row takes a lock that `SELECT ... FOR UPDATE` waits for, as any other update's; a row
    another transaction is inserting is waited for, not duplicated. The lookup's fields must be the
    model's primary key or a unique constraint of exactly those fields.
    """
    meta = model._meta
    unknown = set(lookup) - {field.name for field in meta.concrete_fields}
    if unknown:
        raise ValueError(f"not fields of {meta.label}: {sorted(unknown)}")
    database = router.db_for_write(model)
    connection = connections[database]
    fields = [field for field in meta.concrete_fields if not (field.primary_key and field.name not in lookup)]
    values = [
        field.get_db_prep_save(lookup[field.name] if field.name in lookup else field.get_default(), connection)
        for field in fields
    ]
    quote = connection.ops.quote_name
    conflict = [quote(field.column) for field in meta.concrete_fields if field.name in lookup]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"  # noqa: S608 - names quoted, values bound
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {conflict[0]} = EXCLUDED.{conflict[0]}"
        f" RETURNING {', '.join(quote(field.column) for field in meta.concrete_fields)}"
    )
    return next(iter(model._default_manager.db_manager(database).raw(sql, values)))
