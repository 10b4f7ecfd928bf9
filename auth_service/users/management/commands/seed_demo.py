"""Create or update the demo admin from DEMO_ADMIN_EMAIL and DEMO_ADMIN_PASSWORD."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from servicekit.conf import env, is_development
from users.models import Role, User, normalize_email


class Command(BaseCommand):
    help = "Create or update the demo admin user (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not is_development():
            # A known password for a superuser has no place outside development.
            self.stdout.write("demo admin skipped: APP_ENV is not development")
            return
        email = normalize_email(env.str("DEMO_ADMIN_EMAIL", default=""))
        password = env.str("DEMO_ADMIN_PASSWORD", default="")
        if not email or not password:
            raise CommandError("Set DEMO_ADMIN_EMAIL and DEMO_ADMIN_PASSWORD to seed the demo admin.")
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": "Demo Admin", "roles": [Role.CUSTOMER, Role.STAFF, Role.ADMIN]}
        )
        user.roles = [Role.CUSTOMER, Role.STAFF, Role.ADMIN]
        user.is_superuser = True
        user.is_active = True
        user.email_verified = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"demo admin {'created' if created else 'updated'}: {email}")
