from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """Accounts and the double-entry ledger."""

    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"
