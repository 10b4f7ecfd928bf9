"""Create the system accounts (external cash, merchant revenue) for every configured currency."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ledger.models import Account
from ledger.services import system_account


class Command(BaseCommand):
    help = "Create the external cash and merchant revenue accounts for each of BANK_CURRENCIES (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for currency in settings.BANK_CURRENCIES:
            for code in Account.SystemCode:
                account = system_account(code=code, currency=currency)
                self.stdout.write(f"{account.number}: balance {account.balance}")
