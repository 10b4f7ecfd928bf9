"""Container entrypoint: wait for the database, migrate, run start-up commands, publish static files, exec.

Environment:
  MIGRATE=1            apply this service's migrations first (the web container; workers set 0)
  STARTUP_COMMANDS     manage.py commands to run once, separated by ";" (each must be idempotent)
  STATIC_VOLUME        copy the image's collected static files to <STATIC_VOLUME>/<SERVICE_NAME>
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg


def wait_for_database(url: str, *, timeout: float = 60.0) -> None:
    started = time.monotonic()
    while True:
        try:
            psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
        except psycopg.OperationalError as error:
            if time.monotonic() - started > timeout:
                sys.exit(f"the database did not answer in {timeout:.0f}s: {error}")
            time.sleep(1)
            continue
        waited = time.monotonic() - started
        if waited > 1:
            print(f"the database answered after {waited:.1f}s", flush=True)
        return


def manage(*arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], check=True)


SHOP_UID = SHOP_GID = 10001


def take_private_key_then_drop_root() -> None:
    """auth's container starts as root (compose `user: "0"`) only to read the private key.

    A compose file secret keeps its owner and mode from the host (0600, the host user), which the
    unprivileged user cannot read: copy it, readable by that user alone, into /run/shop-keys, then
    run everything else (migrations, gunicorn) as that user.
    """
    source = Path(os.environ.get("JWT_PRIVATE_KEY_SECRET", "/run/secrets/jwt_private_key"))
    if source.exists():
        target = Path("/run/shop-keys/jwt_private.pem")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        os.chown(target, SHOP_UID, SHOP_GID)
        target.chmod(0o400)
        os.environ["JWT_PRIVATE_KEY_FILE"] = str(target)
    os.setgroups([])
    os.setgid(SHOP_GID)
    os.setuid(SHOP_UID)


def main() -> None:
    if os.getuid() == 0:
        take_private_key_then_drop_root()
    wait_for_database(os.environ["DATABASE_URL"])
    if os.environ.get("MIGRATE", "0") == "1":
        manage("migrate", "--noinput")
    for command in filter(None, (part.strip() for part in os.environ.get("STARTUP_COMMANDS", "").split(";"))):
        manage(*shlex.split(command))
    volume = os.environ.get("STATIC_VOLUME")
    if volume:
        # collectstatic put them in <STATIC_ROOT>/<service> at build time; nginx serves <volume>/<service>.
        service = os.environ["SERVICE_NAME"]
        source = Path(os.environ.get("STATIC_ROOT", "/app/staticfiles")) / service
        shutil.copytree(source, Path(volume) / service, dirs_exist_ok=True)
    command = sys.argv[1:] or ["gunicorn", "-c", "python:servicekit.gunicorn_conf"]
    os.execvp(command[0], command)  # noqa: S606 - the container command, replacing this process


if __name__ == "__main__":
    main()
