import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicekit import conf

BANK = Path(__file__).resolve().parents[2] / "bank_service"


def _check(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BANK, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])
def test_production_start_up_stops_naming_a_missing_secret(missing: str) -> None:
    complete = {
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://bank:bank@127.0.0.1:5432/bank",
        "ALLOWED_HOSTS": "shop.example.com",
    }
    complete.pop(missing)
    result = _check(APP_ENV="production", **complete)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_start_up_refuses_the_example_secrets() -> None:
    result = _check(
        APP_ENV="production",
        DJANGO_SECRET_KEY="change-me-bank-django-secret-key",
        DATABASE_URL="postgres://bank:bank@127.0.0.1:5432/bank",
        ALLOWED_HOSTS="shop.example.com",
        BROKER_URL="amqp://shop:secret@127.0.0.1:5672//",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY still holds the example value" in result.stderr


def test_development_start_up_uses_defaults() -> None:
    result = _check(APP_ENV="development")
    assert result.returncode == 0, result.stderr


def test_unknown_worker_class_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "eventlet")
    with pytest.raises(conf.environ.ImproperlyConfigured, match="GUNICORN_WORKER_CLASS"):
        conf.worker_class()


def test_asgi_workers_get_a_connection_pool_instead_of_persistent_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "uvicorn")
    database = conf.database_settings(name="kit")
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"]["max_size"] >= 1
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")
    database = conf.database_settings(name="kit")
    assert database["CONN_MAX_AGE"] > 0
    assert "pool" not in database["OPTIONS"]
