"""The contract every service keeps: health, readiness, token verification, the error shape."""

from servicekit.contract import *  # noqa: F403
