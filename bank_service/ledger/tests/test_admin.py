from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory

from ledger import services
from ledger.admin import AccountAdmin
from ledger.models import Account
from ledger.tests.conftest import ALICE

pytestmark = pytest.mark.django_db


class _Recording(AccountAdmin):
    """The account admin, with its messages kept for the test instead of shown."""

    def __init__(self) -> None:
        super().__init__(Account, admin.site)
        self.said: list[tuple[str, int]] = []

    def message_user(self, request: Any, message: Any, level: Any = 0, *args: Any, **kwargs: Any) -> None:
        self.said.append((str(message), int(level)))


def test_freezing_from_the_admin_reports_each_accounts_domain_error(funded: Callable[..., Account]) -> None:
    active, closed = funded(ALICE, 0), funded(ALICE, 0)
    services.account_set_status(account_id=closed.id, status="closed")
    cash = services.system_account(code="external_cash", currency="EUR")
    recording = _Recording()
    queryset = Account.objects.filter(id__in=[active.id, closed.id, cash.id]).order_by("kind", "created_at")
    recording.freeze(RequestFactory().post("/"), queryset)
    assert sorted(recording.said) == sorted(
        [
            (f"{active.number}: frozen.", 25),
            (f"{closed.number}: The account is closed.", 40),
            (f"{cash.number}: not a customer account.", 40),
        ]
    )
    assert Account.objects.get(pk=active.pk).status == "frozen"
