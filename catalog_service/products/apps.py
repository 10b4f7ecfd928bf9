from django.apps import AppConfig


class ProductsConfig(AppConfig):
    """Categories, products, prices and stock."""

    name = "products"
    default_auto_field = "django.db.models.BigAutoField"
