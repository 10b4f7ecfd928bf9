import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def existing_users_are_verified(apps, schema_editor):
    """Accounts made before addresses were verified keep moving money: their addresses stand as given."""
    apps.get_model("users", "User").objects.update(email_verified=True)


class Migration(migrations.Migration):
    dependencies = [("users", "0003_login_failure_in_flight")]

    operations = [
        migrations.AddField(model_name="user", name="email_verified", field=models.BooleanField(default=False)),
        migrations.RunPython(existing_users_are_verified, migrations.RunPython.noop),
        migrations.AddField(
            model_name="refreshtokenrecord",
            name="family",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        # Sign-in counters are short-lived state: the per-email table makes way for one per (email, address).
        migrations.DeleteModel(name="LoginFailure"),
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.CharField(max_length=254)),
                ("address", models.CharField(help_text="The client address the gateway saw.", max_length=45)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("last_failed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("locked_until", models.DateTimeField(blank=True, null=True)),
                ("in_flight", models.PositiveIntegerField(default=0)),
                ("in_flight_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-last_failed_at"]},
        ),
        migrations.AddConstraint(
            model_name="loginfailure",
            constraint=models.UniqueConstraint(fields=("email", "address"), name="users_loginfailure_email_address"),
        ),
        migrations.CreateModel(
            name="SignInThrottle",
            fields=[
                ("email", models.CharField(max_length=254, primary_key=True, serialize=False)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("last_failed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("next_check_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-last_failed_at"]},
        ),
        migrations.CreateModel(
            name="OneTimeCode",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "purpose",
                    models.CharField(
                        choices=[
                            ("verify_email", "Verify the email address"),
                            ("reset_password", "Reset the password"),
                        ],
                        max_length=32,
                    ),
                ),
                ("code_hash", models.CharField(max_length=128)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                ("failed_tries", models.PositiveIntegerField(default=0)),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="one_time_codes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-created_at"]},
        ),
        migrations.AddConstraint(
            model_name="onetimecode",
            constraint=models.UniqueConstraint(fields=("user", "purpose"), name="users_onetimecode_one_per_purpose"),
        ),
    ]
