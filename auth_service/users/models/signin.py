"""Sign-in lockout: failure streaks per email and client address, and the slow-down per email."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LoginFailure(models.Model):
    """Sign-in state for one email from one client address: the failure streak, checks in flight, any lock.

    `failures` counts completed wrong passwords in the current streak (the last at `last_failed_at`).
    `in_flight` counts password checks admitted and not yet finished, `in_flight_at` is when it was
    last raised; the backend reads it as 0 once that is older than its expiry, so a worker that died
    mid-check does not hold a place for ever. Locking per address means that guessing from one place
    locks that place only: the owner signing in from elsewhere is slowed down (see SignInThrottle),
    never locked out.
    """

    email = models.CharField(max_length=254)
    address = models.CharField(max_length=45, help_text="The client address the gateway saw.")
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    in_flight = models.PositiveIntegerField(default=0)
    in_flight_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]
        constraints = [models.UniqueConstraint(fields=["email", "address"], name="users_loginfailure_email_address")]

    def __str__(self) -> str:
        return f"{self.email} from {self.address}: {self.failures}"


class SignInThrottle(models.Model):
    """Failed password checks for one email from every address: past the limit, checks are spaced out.

    Below LOGIN_FAILURE_LIMIT failures nothing is slowed. Past it, one check is admitted at a time
    and the next only after a pause that doubles with every further failure (up to
    LOGIN_SLOWDOWN_MAX_SECONDS): guessing from many addresses stays bounded, and the owner gets in
    after at most that pause. A success ends the streak.
    """

    email = models.CharField(max_length=254, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(default=timezone.now)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]

    def __str__(self) -> str:
        return f"{self.email}: {self.failures}"
