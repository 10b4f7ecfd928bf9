from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The notification inbox and email delivery."""

    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
