from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Users, their roles and the tokens issued for them."""

    name = "users"
    default_auto_field = "django.db.models.BigAutoField"
