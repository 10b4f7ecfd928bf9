from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payments and refunds."""

    name = "payments"
    default_auto_field = "django.db.models.BigAutoField"
