"""Small query helpers every service's selectors and locks share."""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from servicekit.errors import NotFound

M = TypeVar("M", bound=models.Model)


def found(queryset: models.QuerySet[M], message: str | None = None) -> M:
    """The first row the queryset selects; `NotFound` (404) when there is none.

    A row the caller may not see is filtered out by the queryset itself, so it answers exactly as
    a missing one does: nobody learns that another customer's id exists.
    """
    row = queryset.first()
    if row is None:
        raise NotFound(message)
    return row
