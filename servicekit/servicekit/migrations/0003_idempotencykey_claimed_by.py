from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("servicekit", "0002_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="claimed_by",
            field=models.IntegerField(
                blank=True, help_text="The database session (backend pid) of the request running it.", null=True
            ),
        ),
    ]
