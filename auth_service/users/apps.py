from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Users, their roles and the tokens issued for them."""

    name = "users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from users import checks  # noqa: F401 - registers the system checks
