"""The services' gunicorn settings, for the bare reference project (it has no token keys to fetch)."""

from servicekit.gunicorn_conf import *  # noqa: F403


def post_worker_init(worker: object) -> None:  # type: ignore[no-redef]
    """Nothing to warm up: the bare project has no token verification keys."""
