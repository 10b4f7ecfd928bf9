"""The native stack: databases, keys, migrations, gunicorn per service and the nginx gateway."""
