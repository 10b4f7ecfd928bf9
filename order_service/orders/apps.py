from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Orders and the checkout saga."""

    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"
