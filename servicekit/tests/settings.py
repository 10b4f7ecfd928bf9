"""A minimal service used to test servicekit itself."""

from pathlib import Path

from servicekit.conf import env, service_settings

shared = service_settings(name="kit", base_dir=Path(__file__).resolve().parent, apps=["tests"])
globals().update(shared)

ROOT_URLCONF = "tests.urls"
DATABASES = {
    "default": {
        **shared["DATABASES"]["default"],
        **env.db_url_config(
            env.str("SERVICEKIT_TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/postgres")
        ),
        "ENGINE": "django.db.backends.postgresql",
    }
}
