"""Tokens: the refresh tokens auth issued, each revocable once, in families rotated from one sign-in."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from users.models.people import User


class RefreshTokenRecord(models.Model):
    """A refresh token auth issued: revoking it (once, atomically) is what makes rotation safe."""

    jti = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.CharField(max_length=64, blank=True)
    # Every refresh token rotated from one sign-in shares its family: a rotated token presented
    # again (a thief's copy, or the owner's after the thief used it) revokes the whole family.
    family = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="users_refresh_user_revoked")]

    def __str__(self) -> str:
        return f"{self.jti} ({self.user_id})"
