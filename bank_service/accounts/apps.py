from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Bank accounts and, in time, the double-entry ledger."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
