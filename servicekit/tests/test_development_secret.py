"""The development secret keys: random per checkout, distinct per service, stable, never the public default."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from servicekit import conf
from servicekit.conf import development_secret
from servicekit.testing import run_concurrently

REPO_ROOT = Path(__file__).resolve().parents[2]
OLD_PUBLIC_KEY = "development-only-{}-secret-key"


@pytest.fixture
def secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "development_secret"
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DEVELOPMENT_SECRET_FILE", str(path))
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    return path


def test_the_file_is_created_on_first_use_readable_by_its_owner_alone(secret_file: Path) -> None:
    assert not secret_file.exists()
    value = conf.read_or_create_secret_file(secret_file)
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret_file.parent.stat().st_mode) & 0o077 == 0
    assert len(value) == 64 and int(value, 16) >= 0
    assert [path.name for path in secret_file.parent.iterdir()] == [secret_file.name]  # no temporary left


def test_the_file_is_kept_and_read_again(secret_file: Path) -> None:
    first = conf.read_or_create_secret_file(secret_file)
    inode = secret_file.stat().st_ino
    assert conf.read_or_create_secret_file(secret_file) == first
    assert secret_file.stat().st_ino == inode


def test_processes_starting_together_agree_on_one_secret(secret_file: Path) -> None:
    values = run_concurrently(lambda: conf.read_or_create_secret_file(secret_file), 32)
    assert set(values) == {secret_file.read_bytes().strip()}


def test_an_empty_file_is_refused_rather_than_used(secret_file: Path) -> None:
    secret_file.parent.mkdir(parents=True)
    secret_file.write_text("\n")
    with pytest.raises(conf.environ.ImproperlyConfigured, match="no usable secret"):
        conf.read_or_create_secret_file(secret_file)


def test_each_service_gets_its_own_key_derived_from_the_file(secret_file: Path) -> None:
    keys = {name: conf.development_secret_key(name) for name in ("auth", "bank", "catalog")}
    assert len(set(keys.values())) == 3
    assert all(len(key) >= 50 for key in keys.values())  # what Django's deploy check asks for
    assert keys["bank"] != OLD_PUBLIC_KEY.format("bank")
    assert conf.development_secret_key("bank") == keys["bank"]
    master = secret_file.read_bytes().strip()
    assert keys["bank"] == conf.derived_secret_key(master, "bank")


def test_another_checkout_gets_other_keys(secret_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = conf.development_secret_key("bank")
    monkeypatch.setenv("DEVELOPMENT_SECRET_FILE", str(tmp_path / "elsewhere" / "development_secret"))
    assert conf.development_secret_key("bank") != mine


def test_the_default_file_is_in_the_checkout_s_git_ignored_keys_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVELOPMENT_SECRET_FILE", raising=False)
    assert conf.development_secret_file() == REPO_ROOT / ".keys" / "development_secret"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".keys/development_secret"], cwd=REPO_ROOT, capture_output=True
    )
    assert ignored.returncode == 0


def test_outside_a_checkout_a_process_makes_up_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("DEVELOPMENT_SECRET_FILE", raising=False)
    monkeypatch.setattr(development_secret, "REPO_ROOT", tmp_path)  # servicekit installed from its wheel
    assert conf.development_secret_file() is None
    key = conf.development_secret_key("bank")
    assert key == conf.development_secret_key("bank") != conf.development_secret_key("catalog")
    assert key != OLD_PUBLIC_KEY.format("bank")
    assert not any(tmp_path.iterdir())


def test_test_suites_keep_a_fixed_key_and_touch_no_file(secret_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    assert conf.development_secret_key("bank") == conf.development_secret_key("bank")
    assert not secret_file.exists()


def test_a_set_secret_key_wins_and_the_file_is_not_made(secret_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    assert conf.secret("DJANGO_SECRET_KEY", dev_default=lambda: conf.development_secret_key("bank")) == "x" * 50
    assert not secret_file.exists()


# --- Through a service's settings, as `make run` and a `manage.py` run by hand read them ---------


def _secret_key_digest(service: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """SHA-256 of the SECRET_KEY a service's settings hold (the key itself is never printed)."""
    env = {
        key: value for key, value in os.environ.items() if key not in {"DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(environment)
    code = (
        "import hashlib; from django.conf import settings;"
        "print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT / f"{service}_service",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_service_s_key_is_the_same_for_every_process_and_restart(secret_file: Path) -> None:
    environment = {"APP_ENV": "development", "DEVELOPMENT_SECRET_FILE": str(secret_file)}
    first = _secret_key_digest("bank", **environment)
    again = _secret_key_digest("bank", **environment)
    catalog = _secret_key_digest("catalog", **environment)
    assert first.returncode == again.returncode == catalog.returncode == 0, first.stderr + catalog.stderr
    assert first.stdout == again.stdout != catalog.stdout
    old = hashlib.sha256(OLD_PUBLIC_KEY.format("bank").encode()).hexdigest()
    assert first.stdout.strip() != old
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_production_still_stops_without_a_secret_and_makes_no_file(secret_file: Path) -> None:
    result = _secret_key_digest(
        "bank",
        APP_ENV="production",
        DEVELOPMENT_SECRET_FILE=str(secret_file),
        DATABASE_URL="postgres://bank:bank@127.0.0.1:5432/bank",
        ALLOWED_HOSTS="shop.example.com",
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
    assert not secret_file.exists()
